"""The weekly triage agenda: to a team's leads and managers, once per meeting.

Payments (Europe/London) meets on Mondays at 10:00. The agenda goes out at 08:00 local on
the day, until the meeting starts: on Monday 3 June 2024 (BST, UTC+1) from 07:00 UTC to
09:00 UTC.
"""

import datetime

import pytest
from django.core import mail

from incidents import services as incidents
from notifications.models import Delivery
from ownership import services as ownership
from tests.incidents.factories import BugFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
AGENDA = datetime.datetime(2024, 6, 3, 7, 0, tzinfo=UTC)  # Monday 08:00 BST
MEETING = datetime.datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # Monday 10:00 BST


def at(month, day, hour, minute=0):
    return datetime.datetime(2024, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def payments(db):
    team = TeamFactory(name="Payments", slug="payments", timezone="Europe/London")
    ownership.team_update(team=team, triage_day="monday", triage_time=datetime.time(10, 0))
    return team


@pytest.fixture
def people(payments):
    def member(username, role):
        user = UserFactory(username=username, first_name=username.capitalize(), last_name="")
        MembershipFactory(team=payments, user=user, role=role)
        return user

    return {
        "lena": member("lena", "lead"),
        "maria": member("maria", "manager"),
        "eve": member("eve", "engineer"),
    }


@pytest.fixture
def bugs(payments, people):
    """Four undecided bugs of Payments, one decided, one of another team.

    Worst first (severity, then oldest): the SEV1 of Sunday, the SEV2 of Friday, the SEV3 of
    13 May, the SEV3 of 20 May. The one of 20 May was investigated from Wednesday 29 May
    10:00 BST for one working day: its timebox ran out on Thursday 30 May 10:00 BST. The SEV2
    started on Friday 31 May 14:00 BST ends on Monday 3 June 14:00 BST, after the meeting.
    Filed more than seven days before Monday 07:00 UTC (so by 27 May 07:00 UTC): 13 and 20 May.
    """
    component = ComponentFactory(name="Checkout", slug="checkout", owner_team=payments)
    eve = people["eve"]
    found = {
        "sev1": BugFactory(
            title="Double charge", severity="SEV1", component=component, created_at=at(6, 2, 20)
        ),
        "sev2": BugFactory(
            title="Refunds stuck", severity="SEV2", component=component, created_at=at(5, 31, 12)
        ),
        "old": BugFactory(
            title="Typo in receipt", severity="SEV3", component=component, created_at=at(5, 13, 9)
        ),
        "overrun": BugFactory(
            title="Invoice PDF blank",
            severity="SEV3",
            component=component,
            created_at=at(5, 20, 9),
        ),
    }
    incidents.bug_investigation_start(bug=found["sev2"], by=eve, at=at(5, 31, 13))
    incidents.bug_investigation_start(bug=found["overrun"], by=eve, at=at(5, 29, 9))
    decided = BugFactory(title="Decided", component=component, created_at=at(5, 1, 9))
    incidents.bug_decide(bug=decided, outcome="wont_fix", by=eve, at=at(5, 2, 9))
    BugFactory(title="Someone else's", component=ComponentFactory(), created_at=at(5, 1, 9))
    return found


def test_leads_and_managers_get_the_agenda_once_at_8_local(people, bugs, deliver):
    assert deliver(AGENDA - MINUTE) == []
    assert [r.status for r in deliver(AGENDA)] == ["sent", "sent"]
    assert sorted(m.to[0] for m in mail.outbox) == ["lena@example.com", "maria@example.com"]
    message = mail.outbox[0]
    assert message.subject == (
        "Triage agenda: Payments, Mon 3 Jun 2024, 10:00 BST - 4 undecided bugs"
    )
    body = message.body
    assert "Payments's weekly bug triage starts in 2 hours (Mon 3 Jun 2024, 10:00 BST)." in body
    overrun, old = bugs["overrun"], bugs["old"]
    sev1, sev2 = bugs["sev1"], bugs["sev2"]

    def section(heading):
        return body.split(heading + "\n", 1)[1].split("\n\n", 1)[0].splitlines()

    assert section("Investigation past its timebox (1)") == [
        f"- SEV3 #{overrun.pk} Invoice PDF blank (Checkout) - filed Mon 20 May 2024, 14 days "
        "ago; investigated by Eve, timebox ran out Thu 30 May 2024, 10:00 BST "
        f"http://localhost:8000/bugs/{overrun.pk}/"
    ]
    assert [line.split(" (")[0] for line in section("Waiting more than 7 days (2)")] == [
        f"- SEV3 #{old.pk} Typo in receipt",
        f"- SEV3 #{overrun.pk} Invoice PDF blank",
    ]
    everything = section("All undecided bugs, worst first (4)")
    assert [line.split(" (")[0] for line in everything] == [
        f"- SEV1 #{sev1.pk} Double charge",
        f"- SEV2 #{sev2.pk} Refunds stuck",
        f"- SEV3 #{old.pk} Typo in receipt",
        f"- SEV3 #{overrun.pk} Invoice PDF blank",
    ]
    assert everything[0].endswith("filed Sun 2 Jun 2024, 1 day ago; not investigated yet "
                                  f"http://localhost:8000/bugs/{sev1.pk}/")  # fmt: skip
    assert "timebox ends Mon 3 Jun 2024, 14:00 BST" in everything[1]

    # The scanner ticks again, and until the meeting: nothing more.
    assert deliver(AGENDA) == []
    assert deliver(AGENDA + 30 * MINUTE) == []
    assert deliver(MEETING) == []
    assert len(mail.outbox) == 2


def test_no_agenda_on_another_day_or_after_the_meeting_started(people, bugs, deliver):
    def agendas():
        return Delivery.objects.filter(kind="triage").count()

    deliver(at(6, 4, 7))  # Tuesday 08:00 BST (the SEV2's timebox notice goes out, though)
    deliver(at(6, 2, 7))  # Sunday 08:00 BST
    deliver(MEETING)  # Monday 10:00 BST: too late, the meeting has begun
    assert agendas() == 0
    assert not [m for m in mail.outbox if m.subject.startswith("Triage agenda")]
    deliver(at(6, 10, 7))  # the next Monday at 08:00 BST
    assert agendas() == 2


def test_a_scanner_that_was_down_at_8_still_sends_before_the_meeting(people, bugs, deliver):
    assert len(deliver(MEETING - MINUTE)) == 2


def test_each_meeting_date_has_its_own_agenda(people, bugs, deliver):
    assert len(deliver(AGENDA)) == 2
    assert len(deliver(AGENDA + datetime.timedelta(days=7))) == 2
    assert Delivery.objects.filter(kind="triage").count() == 4


def test_nothing_to_triage_sends_no_agenda(people, deliver):
    assert deliver(AGENDA) == []


def test_a_person_who_switched_the_agenda_off_does_not_get_it(people, bugs, deliver):
    NotificationPreferenceFactory(user=people["maria"], triage_agenda=False)
    deliver(AGENDA)
    assert [m.to[0] for m in mail.outbox] == ["lena@example.com"]


def test_the_agenda_reads_in_each_persons_time_zone_and_reaches_their_chat(
    people, bugs, deliver, chat_server
):
    server = chat_server()
    NotificationPreferenceFactory(user=people["maria"], timezone="America/New_York")
    NotificationPreferenceFactory(
        user=people["lena"], email_enabled=False, chat_enabled=True, chat_webhook_url=server.url
    )
    deliver(AGENDA)
    (message,) = mail.outbox
    assert message.subject == (
        "Triage agenda: Payments, Mon 3 Jun 2024, 05:00 EDT - 4 undecided bugs"
    )
    assert "timebox ran out Thu 30 May 2024, 05:00 EDT" in message.body
    (post,) = server.delivered
    assert post["text"].startswith(
        "*Triage agenda: Payments, Mon 3 Jun 2024, 10:00 BST - 4 undecided bugs*"
    )
    assert "*All undecided bugs, worst first (4)*" in post["text"]


def test_a_meeting_moved_after_the_agenda_was_found_is_not_sent(payments, people, bugs, scan):
    from notifications import services

    ids = scan(AGENDA)
    ownership.team_update(team=payments, triage_day="tuesday")
    assert {services.delivery_send(delivery_id=pk, now=AGENDA).status for pk in ids} == {"skipped"}
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("monday", "first_minute"),
    [
        # Greenwich time: 08:00 GMT is 08:00 UTC ...
        (datetime.date(2024, 3, 25), datetime.time(8, 0)),
        # ... the Monday after the clocks went forward (Sunday 31 March) it is 07:00 UTC,
        (datetime.date(2024, 4, 1), datetime.time(7, 0)),
        # the last Monday of summer time (21 October) still 07:00 UTC,
        (datetime.date(2024, 10, 21), datetime.time(7, 0)),
        # and the Monday after they went back (Sunday 27 October) 08:00 UTC again.
        (datetime.date(2024, 10, 28), datetime.time(8, 0)),
    ],
)
def test_the_agenda_goes_out_at_8_local_on_both_sides_of_a_dst_change(
    payments, people, deliver, monday, first_minute
):
    BugFactory(
        component=ComponentFactory(owner_team=payments),
        created_at=datetime.datetime(2024, 3, 1, tzinfo=UTC),
    )
    first = datetime.datetime.combine(monday, first_minute, tzinfo=UTC)
    assert deliver(first - MINUTE) == []
    assert len(deliver(first)) == 2


def test_a_team_far_east_gets_its_agenda_on_its_own_monday(deliver):
    # Auckland is UTC+12 in June: Monday 08:00 there is Sunday 20:00 UTC.
    team = TeamFactory(timezone="Pacific/Auckland")
    ownership.team_update(team=team, triage_day="monday", triage_time=datetime.time(9, 30))
    MembershipFactory(team=team, role="lead")
    BugFactory(component=ComponentFactory(owner_team=team), created_at=at(5, 1, 0))
    assert deliver(at(6, 2, 19, 59)) == []
    assert len(deliver(at(6, 2, 20))) == 1
    (message,) = mail.outbox
    assert "Mon 3 Jun 2024, 09:30 NZST" in message.subject


def test_an_early_meeting_gets_its_agenda_an_hour_ahead_even_the_evening_before(deliver):
    team = TeamFactory(timezone="Europe/London")
    MembershipFactory(team=team, role="manager")
    BugFactory(component=ComponentFactory(owner_team=team), created_at=at(5, 1, 0))
    ownership.team_update(team=team, triage_day="monday", triage_time=datetime.time(8, 30))
    assert deliver(at(6, 3, 6, 29)) == []
    assert len(deliver(at(6, 3, 6, 30))) == 1  # 07:30 BST
    # A meeting at 00:30 on Monday: the agenda goes out on Sunday at 23:30 BST.
    ownership.team_update(team=team, triage_day="monday", triage_time=datetime.time(0, 30))
    assert deliver(at(6, 9, 22, 29)) == []
    assert len(deliver(at(6, 9, 22, 30))) == 1
    assert "Mon 10 Jun 2024, 00:30 BST" in mail.outbox[-1].subject


@pytest.mark.parametrize("teams", [1, 5])
def test_finding_the_agendas_costs_the_same_queries_for_one_team_or_many(
    django_assert_num_queries, teams
):
    from incidents.notices.triage import triage_agendas

    for _ in range(teams):
        team = TeamFactory(timezone="Europe/London")
        ownership.team_update(team=team, triage_day="monday", triage_time=datetime.time(10))
        MembershipFactory(team=team, role="lead")
        MembershipFactory(team=team, role="manager")
        BugFactory(component=ComponentFactory(owner_team=team), created_at=at(5, 1, 0))
    # Teams with a meeting, their undecided bugs, leads and managers, and the people's
    # preferences and team zones.
    with django_assert_num_queries(5):
        plans = triage_agendas(now=AGENDA)
    assert len(plans) == 2 * teams
