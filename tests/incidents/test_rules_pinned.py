"""Escalation delay validation and the bug triage actions of the admin.

* Escalation delays (README "Escalation"): primary, then secondary, then lead, each at most a
  day (1440 minutes); equal delays are allowed, a decrease is refused naming the delay that
  falls below the one before it.
* Bug triage in the admin (README "The admin for managers", "Bug triage"): a manager runs
  *Start the timeboxed investigation* and *Decide: won't fix* on their team's bugs; picking
  another team's bug is refused (403) and changes nothing.
"""

import datetime

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages

from incidents.models import Bug, EscalationPolicy
from ownership.models import Membership
from portal.demo.seed import managers_group_sync
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import SupportPolicyFactory

from .factories import BugFactory, EscalationPolicyFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
URL = "/api/v1/escalation-policies/"


# --- Escalation delays ---------------------------------------------------------------------


@pytest.fixture
def policy():
    return SupportPolicyFactory(name="Billing", components=[ComponentFactory(slug="billing")])


@pytest.mark.parametrize(
    "delays",
    [
        (0, 0, 0),  # all at once: never decreasing
        (0, 5, 15),  # the defaults
        (10, 10, 30),  # primary and secondary together
        (1440, 1440, 1440),  # a day is the longest delay
    ],
)
def test_delays_that_never_decrease_and_stay_within_a_day_are_accepted(
    policy, staff_client, delays
):
    primary, secondary, lead = delays
    body = {
        "support_policy": policy.pk,
        "primary_delay_minutes": primary,
        "secondary_delay_minutes": secondary,
        "lead_delay_minutes": lead,
    }

    response = staff_client.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    row = EscalationPolicy.objects.get(support_policy=policy)
    assert (row.primary_delay_minutes, row.secondary_delay_minutes, row.lead_delay_minutes) == (
        delays
    )


DECREASE = "Escalation goes primary, then secondary, then lead: the delays must not decrease."


@pytest.mark.parametrize(
    ("delays", "fields", "message"),
    [
        # secondary (5) before primary (10): the secondary is the delay that decreased.
        ((10, 5, 15), ["secondary_delay_minutes"], DECREASE),
        # lead (10) before secondary (20).
        ((0, 20, 10), ["lead_delay_minutes"], DECREASE),
        # Over a day: each delay past 1440 minutes is named (a later one cannot be shorter).
        ((0, 5, 1441), ["lead_delay_minutes"], "less than or equal to 1440"),
        ((0, 1441, 1441), ["secondary_delay_minutes", "lead_delay_minutes"], "1440"),
        (
            (1441, 1441, 1441),
            ["primary_delay_minutes", "secondary_delay_minutes", "lead_delay_minutes"],
            "less than or equal to 1440",
        ),
    ],
)
def test_decreasing_or_too_long_delays_are_refused_naming_the_field(
    policy, staff_client, delays, fields, message
):
    primary, secondary, lead = delays
    body = {
        "support_policy": policy.pk,
        "primary_delay_minutes": primary,
        "secondary_delay_minutes": secondary,
        "lead_delay_minutes": lead,
    }

    response = staff_client.post(URL, body, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == fields, errors
    assert all(message in errors[field][0] for field in fields), errors
    assert not EscalationPolicy.objects.exists()


def test_a_change_is_checked_against_the_delays_it_leaves_alone(policy, staff_client):
    row = EscalationPolicyFactory(support_policy=policy)  # 0, 5, 15
    # Moving the secondary to 30 minutes puts it after the stored lead (15): refused.
    refused = staff_client.patch(f"{URL}{row.pk}/", {"secondary_delay_minutes": 30}, format="json")
    # Moving it to 15, level with the lead, is allowed.
    allowed = staff_client.patch(f"{URL}{row.pk}/", {"secondary_delay_minutes": 15}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()) == ["lead_delay_minutes"]
    assert allowed.status_code == 200, allowed.content
    row.refresh_from_db()
    assert (row.primary_delay_minutes, row.secondary_delay_minutes, row.lead_delay_minutes) == (
        0,
        15,
        15,
    )


# --- Bug triage actions in the admin -------------------------------------------------------

# Friday 5 June 2026, 15:00 in London (BST): a one-working-day timebox ends on Monday 8 June
# at 15:00 London, 14:00 UTC (README "Bug triage").
FRIDAY = datetime.datetime(2026, 6, 5, 14, 0, tzinfo=UTC)
MONDAY = datetime.datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


@pytest.fixture
def triage(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: FRIDAY)
    payments = TeamFactory(name="Payments", slug="payments", timezone="Europe/London")
    search = TeamFactory(name="Search", slug="search", timezone="Europe/London")
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(managers_group_sync())
    MembershipFactory(team=payments, user=maria, role=Membership.Role.MANAGER)
    mine = BugFactory(
        title="Refunds round down",
        component=ComponentFactory(slug="refunds", owner_team=payments),
        team=payments,
    )
    theirs = BugFactory(
        title="Typo in results",
        component=ComponentFactory(slug="results", owner_team=search),
        team=search,
    )
    return {"maria": maria, "mine": mine, "theirs": theirs}


def act(client, action, *bugs):
    return client.post(
        "/admin/incidents/bug/",
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [b.pk for b in bugs], "index": 0},
    )


def test_a_manager_starts_the_investigation_of_their_teams_bug(client, triage):
    client.force_login(triage["maria"])

    response = act(client, "start_investigation", triage["mine"])

    assert response.status_code == 302
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Started investigating 1 bug(s)."
    ]
    bug = Bug.objects.get(pk=triage["mine"].pk)
    assert (bug.investigator, bug.investigation_started_at) == (triage["maria"], FRIDAY)
    assert bug.timebox_ends_at == MONDAY


def test_a_manager_closes_their_teams_bug_as_wont_fix(client, triage):
    client.force_login(triage["maria"])

    response = act(client, "wont_fix", triage["mine"])

    assert response.status_code == 302
    bug = Bug.objects.get(pk=triage["mine"].pk)
    assert (bug.outcome, bug.decided_by) == (Bug.Outcome.WONT_FIX, triage["maria"])
    # Deciding it again is refused with a warning naming the bug, and changes nothing.
    again = act(client, "start_investigation", bug)
    messages = [m.message for m in get_messages(again.wsgi_request)]
    assert messages[-1].startswith("Refunds round down: The bug"), messages
    assert "is decided (won't fix)" in messages[-1]
    assert Bug.objects.get(pk=bug.pk).investigation_started_at is None


@pytest.mark.parametrize("action", ["start_investigation", "wont_fix"])
def test_a_manager_cannot_act_on_another_teams_bug(client, triage, action):
    client.force_login(triage["maria"])

    alone = act(client, action, triage["theirs"])
    mixed = act(client, action, triage["mine"], triage["theirs"])

    assert (alone.status_code, mixed.status_code) == (403, 403)
    # Refused as a whole: neither bug moved.
    for bug in Bug.objects.filter(pk__in=[triage["mine"].pk, triage["theirs"].pk]):
        assert (bug.outcome, bug.investigation_started_at, bug.decided_by) == ("", None, None)


# --- Nobody is paged at two steps of one incident ------------------------------------------

T0 = datetime.datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def test_someone_on_duty_as_primary_and_secondary_is_paged_once_and_the_lead_moves_up(
    send_pages, django_capture_on_commit_callbacks
):
    from incidents import services
    from incidents.models import Page
    from rota.models import Rotation
    from tests.rota.factories import RotationFactory, ShiftFactory

    payments = TeamFactory(slug="payments")
    alice = UserFactory(username="alice")
    for role in (Rotation.Role.PRIMARY, Rotation.Role.SECONDARY):
        rotation = RotationFactory(team=payments, role=role, timezone="UTC")
        ShiftFactory(rotation=rotation, user=alice, start=T0 - datetime.timedelta(days=1))
    MembershipFactory(team=payments, role="lead", user=UserFactory(username="lena"))
    component = ComponentFactory(slug="checkout", owner_team=payments)

    def scan(minutes):
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalation_scan(now=T0 + datetime.timedelta(minutes=minutes))

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(title="Checkout down", component=component, severity="SEV1", at=T0)
    # Worked out on paper: alice is paged as primary at once. As secondary she would be
    # paged a second time, so that step is left out and the lead takes its slot: lena at
    # 5 minutes (not 15). Nothing more after that.
    assert scan(4) == 0
    assert scan(5) == 1
    assert scan(15) == 0
    pages = [(p.user.username, p.step) for p in Page.objects.order_by("id")]
    assert pages == [("alice", "primary"), ("lena", "lead")], pages


def test_the_admin_triage_queue_lists_worst_severity_first_then_oldest(admin_client):
    from incidents.models import Severity

    team = TeamFactory(slug="payments")
    component = ComponentFactory(slug="refunds", owner_team=team)
    made = {}
    for title, severity, day in (
        ("old minor", Severity.SEV3, 1),
        ("new major", Severity.SEV1, 3),
        ("old major", Severity.SEV1, 2),
        ("decided major", Severity.SEV1, 1),
    ):
        made[title] = BugFactory(title=title, severity=severity, component=component)
        Bug.objects.filter(pk=made[title].pk).update(
            created_at=datetime.datetime(2026, 6, day, 9, tzinfo=UTC)
        )
    Bug.objects.filter(pk=made["decided major"].pk).update(outcome=Bug.Outcome.WONT_FIX)

    response = admin_client.get("/admin/incidents/bug/", {"triage": "queue"})

    # On paper: SEV1 before SEV3; among the SEV1s the older (2 June) first; the decided one
    # has left the queue.
    assert response.status_code == 200
    titles = [bug.title for bug in response.context["cl"].result_list]
    assert titles == ["old major", "new major", "old minor"], titles
