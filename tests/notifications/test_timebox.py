"""When a bug's investigation timebox runs out, its investigator and team lead hear once.

Alice (engineer in Payments, Europe/London) starts investigating a bug on Friday 31 May 2024
at 15:00 BST with the default one-working-day timebox: it runs out on Monday 3 June at
15:00 BST, 14:00 UTC (the weekend does not count).
"""

import datetime

import pytest
from django.core import mail

from incidents import services as incidents
from notifications import services
from notifications.models import Delivery
from tests.incidents.factories import BugFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, UserFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
STARTED = datetime.datetime(2024, 5, 31, 14, 0, tzinfo=UTC)  # Friday 15:00 BST
ENDS = datetime.datetime(2024, 6, 3, 14, 0, tzinfo=UTC)  # Monday 15:00 BST


@pytest.fixture
def lena(team):
    user = UserFactory(username="lena", first_name="Lena", last_name="Berg")
    MembershipFactory(team=team, user=user, role="lead")
    return user


@pytest.fixture
def maria(team):
    user = UserFactory(username="maria", first_name="Maria", last_name="Garcia")
    MembershipFactory(team=team, user=user, role="manager")
    return user


@pytest.fixture
def bug(team, alice):
    component = ComponentFactory(name="Checkout", slug="checkout", owner_team=team)
    bug = BugFactory(
        title="Refunds stuck",
        severity="SEV2",
        component=component,
        created_at=STARTED - datetime.timedelta(days=1),
    )
    return incidents.bug_investigation_start(bug=bug, by=alice, at=STARTED)


def test_the_investigator_and_the_lead_hear_once_when_the_timebox_runs_out(
    bug, alice, lena, maria, deliver
):
    assert bug.timebox_ends_at == ENDS
    assert deliver(ENDS - MINUTE) == []
    assert [r.status for r in deliver(ENDS)] == ["sent", "sent"]
    by_person = {m.to[0]: m for m in mail.outbox}
    assert set(by_person) == {alice.email, lena.email}  # the manager is not told: a lead is
    message = by_person[alice.email]
    assert message.subject == f"Timebox over: bug #{bug.pk} Refunds stuck"
    body = message.body
    assert (
        f"The 1-working-day timebox of your investigation of bug #{bug.pk} ran out at "
        "Mon 3 Jun 2024, 15:00 BST. Time to decide what becomes of it."
    ) in body
    assert "- Investigation started: Fri 31 May 2024, 15:00 BST" in body
    decide = body.split("Decide\n", 1)[1]
    assert decide.startswith(
        "- Fixed: it is fixed now\n"
        "- Story: turn it into an estimated story (link and points)\n"
        "- Won't fix: close it without a fix\n"
        f"- On the bug's page: http://localhost:8000/bugs/{bug.pk}/\n"
        f"- Or by API: POST http://localhost:8000/api/v1/bugs/{bug.pk}/decide/ with "
        '{"outcome": "fixed" | "story" | "wont_fix"}\n'
    )
    assert f"investigation of bug #{bug.pk} by Alice Martin ran out" in (by_person[lena.email].body)

    # The scanner ticks again, and an hour later: nothing more.
    assert deliver(ENDS) == []
    assert deliver(ENDS + datetime.timedelta(hours=1)) == []
    assert len(mail.outbox) == 2


def test_a_bug_decided_in_time_is_not_told(bug, alice, lena, deliver):
    incidents.bug_decide(bug=bug, outcome="fixed", by=alice, at=ENDS - MINUTE)
    assert deliver(ENDS) == []
    assert mail.outbox == []


def test_a_bug_decided_between_the_scan_and_the_send_is_skipped(bug, alice, lena, scan):
    ids = scan(ENDS)
    incidents.bug_decide(bug=bug, outcome="wont_fix", by=alice, at=ENDS)
    assert {services.delivery_send(delivery_id=pk, now=ENDS).status for pk in ids} == {"skipped"}
    assert mail.outbox == []


def test_a_longer_timebox_is_told_at_its_new_end_instead(bug, alice, lena, deliver):
    incidents.bug_update(bug=bug, timebox_days=2)  # Friday + 2 working days: Tuesday 15:00 BST
    assert deliver(ENDS) == []
    new_end = ENDS + datetime.timedelta(days=1)
    assert len(deliver(new_end)) == 2
    assert "2-working-day timebox" in mail.outbox[0].body
    assert "ran out at Tue 4 Jun 2024, 15:00 BST" in mail.outbox[0].body


def test_a_timebox_extended_after_it_was_found_is_not_told_twice(bug, alice, lena, scan):
    ids = scan(ENDS)
    incidents.bug_update(bug=bug, timebox_days=2)
    statuses = {services.delivery_send(delivery_id=pk, now=ENDS).status for pk in ids}
    assert statuses == {"skipped"}


def test_without_a_lead_the_managers_hear(bug, alice, maria, deliver):
    deliver(ENDS)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, maria.email])


def test_a_person_who_switched_timebox_notices_off_is_not_told(bug, alice, lena, deliver):
    NotificationPreferenceFactory(user=alice, timebox_alerts=False)
    deliver(ENDS)
    assert [m.to[0] for m in mail.outbox] == [lena.email]


def test_the_notice_reads_in_the_persons_time_zone(bug, alice, lena, deliver, chat_server):
    server = chat_server()
    NotificationPreferenceFactory(
        user=alice, timezone="Asia/Kolkata", chat_enabled=True, chat_webhook_url=server.url
    )
    deliver(ENDS)
    to_alice = next(m for m in mail.outbox if m.to == [alice.email])
    assert "ran out at Mon 3 Jun 2024, 19:30 IST" in to_alice.body
    (post,) = server.delivered
    assert post["text"].startswith(f"*Timebox over: bug #{bug.pk} Refunds stuck*")
    assert "Mon 3 Jun 2024, 19:30 IST" in post["text"]


def test_a_timebox_long_past_is_not_told_after_downtime(bug, alice, lena, deliver):
    # The scanner comes back two days later: the triage agenda lists the bug instead.
    assert deliver(ENDS + datetime.timedelta(days=2)) == []
    assert Delivery.objects.filter(kind="timebox").count() == 0


def test_a_bug_without_an_investigation_has_no_timebox_to_run_out(team, alice, lena, deliver):
    BugFactory(component=ComponentFactory(owner_team=team), created_at=STARTED)
    assert deliver(ENDS + datetime.timedelta(days=1)) == []


@pytest.mark.parametrize("bugs", [1, 5])
def test_finding_run_out_timeboxes_costs_the_same_queries_for_one_bug_or_many(
    team, alice, lena, django_assert_num_queries, bugs
):
    from incidents.notices.timebox import timeboxes_run_out

    component = ComponentFactory(owner_team=team)
    for _ in range(bugs):
        bug = BugFactory(component=component, created_at=STARTED)
        incidents.bug_investigation_start(bug=bug, by=alice, at=STARTED)
    # The bugs, the teams' leads and managers, their leads, and the people's preferences
    # and team zones.
    with django_assert_num_queries(5):
        plans = timeboxes_run_out(now=ENDS)
    assert len(plans) == 2 * bugs
