"""A first line that only mitigates: when the owners are paged, and the bug raised for them.

Worked out by hand. Everything in UTC (team zones UTC). Team payments owns "checkout": alice is
its primary, bob its secondary, lena its lead, around the clock. Team ops (kind operations)
runs the first-line rotation in which olga is on duty. The default support policy is total
ownership with that first line. Delays are the defaults: first line 0, primary 0, secondary 5,
lead 15 minutes after creation.

* owner_paging "unless_mitigated" with a 30-minute window: olga at 0; the owners' steps start
  after the window and keep their pace: alice at 30, bob at 35, lena at 45.
* owner_paging "business_hours": at 02:00 on Tuesday only olga is paged, ever; at 11:00 alice
  is paged at once as well.
"""

import datetime

import pytest
from django.core import mail

from incidents import services
from incidents.models import Bug, Page, TimelineEntry
from ownership.models import Component, Team
from rota.models import SupportPolicy
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory, SupportPolicyFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NIGHT = datetime.datetime(2030, 1, 8, 2, 0, tzinfo=UTC)  # Tuesday 02:00
DAY = datetime.datetime(2030, 1, 8, 11, 0, tzinfo=UTC)  # Tuesday 11:00
MONDAY = datetime.datetime(2030, 1, 7, 0, 0, tzinfo=UTC)


def duty(rotation, username):
    user = UserFactory(username=username)
    ShiftFactory(rotation=rotation, user=user, start=MONDAY, end=MONDAY + datetime.timedelta(7))
    return user


@pytest.fixture
def org():
    payments = TeamFactory(slug="payments", timezone="UTC")
    duty(RotationFactory(team=payments, timezone="UTC"), "alice")
    duty(RotationFactory(team=payments, role="secondary", timezone="UTC"), "bob")
    MembershipFactory(team=payments, role="lead", user=UserFactory(username="lena"))
    ComponentFactory(slug="checkout", owner_team=payments)
    ops = TeamFactory(slug="ops", kind=Team.Kind.OPERATIONS, timezone="UTC")
    first_line = RotationFactory(team=ops, timezone="UTC")
    olga = duty(first_line, "olga")
    MembershipFactory(team=ops, user=olga)
    TeamFactory(slug="search")
    return SupportPolicyFactory(first_line_rotation=first_line)


def hold(policy, how, window=30):
    policy.owner_paging = how
    policy.first_line_window_minutes = window
    policy.save()


@pytest.fixture
def open_incident(send_pages, django_capture_on_commit_callbacks):
    def make(when=NIGHT):
        with django_capture_on_commit_callbacks(execute=True):
            return services.incident_create(
                title="Checkout down",
                component=Component.objects.get(slug="checkout"),
                severity="SEV1",
                at=when,
            )

    return make


@pytest.fixture
def scan(send_pages, django_capture_on_commit_callbacks):
    def run(when):
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalation_scan(now=when)

    return run


def paged():
    return [(p.user.username, p.step) for p in Page.objects.order_by("id")]


def after(minutes, start=NIGHT):
    return start + datetime.timedelta(minutes=minutes)


def test_the_owner_is_not_paged_when_the_first_line_mitigates_in_time(org, open_incident, scan):
    hold(org, SupportPolicy.OwnerPaging.UNLESS_MITIGATED)
    incident = open_incident()
    assert paged() == [("olga", "first_line")]
    scan(after(29))
    assert paged() == [("olga", "first_line")]

    olga = incident.first_line_responder
    services.incident_mitigate(incident=incident, by=olga, kind="rollback", at=after(20))
    for minutes in (30, 35, 45, 120):
        scan(after(minutes))

    assert paged() == [("olga", "first_line")]
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]


def test_the_owner_is_paged_once_the_window_passes_unmitigated(org, open_incident, scan):
    hold(org, SupportPolicy.OwnerPaging.UNLESS_MITIGATED)
    incident = open_incident()
    scan(after(30))
    assert paged() == [("olga", "first_line"), ("alice", "primary")]
    scan(after(35))
    scan(after(45))
    assert paged()[2:] == [("bob", "secondary"), ("lena", "lead")]
    assert incident.timeline.filter(
        text="Not mitigated by the first line within 30 min: escalating to the primary."
    ).exists()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.com",
        "bob@example.com",
        "lena@example.com",
        "olga@example.com",
    ]


def test_a_first_line_acknowledgement_does_not_stop_the_owner_page(org, open_incident, scan):
    hold(org, SupportPolicy.OwnerPaging.UNLESS_MITIGATED)
    incident = open_incident()
    services.incident_acknowledge(incident=incident, by=incident.first_line_responder, at=after(5))
    scan(after(30))
    scan(after(45))
    # Acknowledging is not mitigating: alice is told at 30; the first line is on it, so the
    # escalation stops after her.
    assert paged() == [("olga", "first_line"), ("alice", "primary")]


def test_out_of_business_hours_only_the_first_line_is_paged(org, open_incident, scan):
    hold(org, SupportPolicy.OwnerPaging.BUSINESS_HOURS)
    open_incident(NIGHT)
    for minutes in (5, 15, 60, 600):
        scan(after(minutes))
    assert paged() == [("olga", "first_line")]


def test_in_business_hours_the_owner_is_paged_as_usual(org, open_incident):
    hold(org, SupportPolicy.OwnerPaging.BUSINESS_HOURS)
    open_incident(DAY)
    assert paged() == [("olga", "first_line"), ("alice", "primary")]


def test_the_first_lines_mitigation_raises_a_bug_for_the_owning_team(org, open_incident):
    incident = open_incident()
    services.incident_mitigate(
        incident=incident, by=incident.first_line_responder, kind="restart", at=after(10)
    )
    bug = Bug.objects.get(incident=incident)
    assert (bug.team.slug, bug.component.slug, bug.severity) == ("payments", "checkout", "SEV1")
    assert incident.timeline.filter(
        kind=TimelineEntry.Kind.NOTE, text__startswith=f"Bug #{bug.pk} raised for"
    ).exists()
    # It lands in the owning team's triage queue.
    assert bug in Bug.objects.filter(team__slug="payments", outcome="")


def test_the_owners_own_mitigation_raises_no_bug(org, open_incident):
    incident = open_incident()
    services.incident_mitigate(incident=incident, by=incident.responder, kind="hotfix")
    assert not Bug.objects.filter(incident=incident).exists()


def test_the_first_line_chooses_the_bugs_team_through_the_api(org, open_incident, make_client):
    incident = open_incident()
    client = make_client(incident.first_line_responder)
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/mitigate/",
        {"kind": "rollback", "bug_team": "search"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Bug.objects.get(incident=incident).team.slug == "search"


def test_only_the_first_line_chooses_the_bugs_team(org, open_incident, make_client):
    incident = open_incident()
    client = make_client(incident.responder)  # alice owns it: she may mitigate
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/mitigate/",
        {"kind": "rollback", "bug_team": "search"},
        format="json",
    )
    assert response.status_code == 400
    assert "bug_team" in response.json()
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_owner_paging_needs_a_first_line(staff_client):
    response = staff_client.post(
        "/api/v1/support-policies/",
        {"name": "No first line", "model": "ownership", "owner_paging": "unless_mitigated"},
        format="json",
    )
    assert response.status_code == 400
    assert "owner_paging" in response.json()


def test_the_portal_names_everyone_paged_as_the_incident_opened(org, open_incident):
    # At 11:00 on a Tuesday olga (first line) and alice (primary, delay 0) are both paged at
    # once: the message after opening names both, first line first.
    from incidents.pages import _opened_message

    incident = open_incident(DAY)
    olga, alice = incident.first_line_responder, incident.responder
    assert (olga.username, alice.username) == ("olga", "alice")
    assert _opened_message(incident) == (
        f"Incident opened; {olga.get_full_name()} (first line) and {alice.get_full_name()} "
        "(primary) are paged."
    )
