"""Gaps and silence: a step with nobody is skipped at once, and nobody is ever left unpaged.

Worked out by hand. Team payments (Europe/London, which is UTC in January): alice is primary
on a rotation restricted to business hours (Mon-Fri 09:00-17:00), bob secondary around the
clock, lena its lead. Escalation slots by default: first line 0, primary 0, secondary 5 min,
lead 15 min. At 02:00 on Tuesday 8 January 2030 the primary rotation is off duty, so:

* the path is bob (secondary), then lena (lead): levels 1 and 2;
* bob is paged at once (he takes the empty primary slot at 0 min), lena at 15 min.

The organisation fallback is "Duty manager", a person rotation in which dora is on duty all
week; the team "duty" (dm-lead its lead) is the fallback team when no rotation is set.
"""

import datetime

import pytest
from django.core import mail

from incidents import services
from incidents.models import Incident, Page, TimelineEntry
from ownership.models import Component
from rota.models import Rotation
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NIGHT = datetime.datetime(2030, 1, 8, 2, 0, tzinfo=UTC)  # Tuesday 02:00 London
MONDAY = datetime.datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
WEEK = datetime.timedelta(weeks=1)


def at(minutes):
    return NIGHT + datetime.timedelta(minutes=minutes)


def weekly(rotation, user):
    ShiftFactory(rotation=rotation, user=user, start=MONDAY, end=MONDAY + WEEK)


@pytest.fixture
def payments():
    team = TeamFactory(slug="payments", timezone="Europe/London")
    primary = RotationFactory(
        team=team,
        timezone="Europe/London",
        restriction=Rotation.Restriction.BUSINESS_HOURS,
    )
    weekly(primary, UserFactory(username="alice"))
    secondary = RotationFactory(team=team, role="secondary", timezone="Europe/London")
    weekly(secondary, UserFactory(username="bob"))
    MembershipFactory(team=team, role="lead", user=UserFactory(username="lena"))
    ComponentFactory(slug="checkout", owner_team=team)
    return team


@pytest.fixture
def duty_manager(staff_client):
    rotation = RotationFactory(name="Duty manager", timezone="Europe/London")
    weekly(rotation, UserFactory(username="dora"))
    response = staff_client.patch(
        "/api/v1/routing-settings/", {"fallback_rotation": rotation.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    return rotation


@pytest.fixture
def scan(send_pages, django_capture_on_commit_callbacks):
    def run(when):
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalation_scan(now=when)

    return run


@pytest.fixture
def open_incident(send_pages, django_capture_on_commit_callbacks):
    def make(slug="checkout", when=NIGHT, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.incident_create(
                title="Down",
                component=Component.objects.get(slug=slug),
                severity="SEV1",
                at=when,
                **kwargs,
            )

    return make


def paged():
    return [(p.user.username, p.step, p.created_at) for p in Page.objects.order_by("id")]


def steps(body):
    return [(s["level"], s["role"], s["users"]) for s in body["escalation"]]


def test_oncall_lists_exactly_the_steps_that_will_be_paged(user_client, payments):
    body = user_client.get(
        "/api/v1/oncall/", {"component": "checkout", "at": NIGHT.isoformat()}
    ).json()
    assert body["primary"] is None
    assert steps(body) == [(1, "secondary", ["bob"]), (2, "lead", ["lena"])]
    assert body["fallback"] is None


def test_a_gap_escalates_at_once_to_the_next_step_with_someone(payments, open_incident, scan):
    incident = open_incident()
    assert paged() == [("bob", "secondary", NIGHT)]
    assert scan(at(14)) == 0
    assert scan(at(15)) == 1
    assert paged()[-1] == ("lena", "lead", at(15))
    incident.refresh_from_db()
    assert not incident.nobody_paged
    texts = list(incident.timeline.values_list("text", flat=True))
    assert not any("Nobody to page" in text for text in texts)


def test_a_missing_secondary_hands_its_slot_to_the_lead(open_incident, scan):
    # ops: olive primary around the clock, no secondary, lee lead: olive at 0, lee at 5.
    team = TeamFactory(slug="ops")
    weekly(RotationFactory(team=team), UserFactory(username="olive"))
    MembershipFactory(team=team, role="lead", user=UserFactory(username="lee"))
    ComponentFactory(slug="edge", owner_team=team)
    open_incident(slug="edge")
    assert scan(at(4)) == 0
    scan(at(5))
    assert [(user, step) for user, step, _ in paged()] == [("olive", "primary"), ("lee", "lead")]


def test_a_backlog_incident_with_no_primary_still_pages_someone(payments, open_incident, scan):
    open_incident(urgency="backlog")
    assert [(u, s) for u, s, _ in paged()] == [("bob", "secondary")]
    scan(at(60))
    assert len(paged()) == 1  # backlog stops after the first level


def test_an_unowned_component_routes_to_the_fallback(user_client, duty_manager, open_incident):
    ComponentFactory(slug="orphan", owner_team=None)
    body = user_client.get(
        "/api/v1/oncall/", {"component": "orphan", "at": NIGHT.isoformat()}
    ).json()
    assert body["responding_team"] is None
    assert body["fallback"]["users"] == ["dora"]
    assert body["fallback"]["rotation"] == duty_manager.pk
    assert steps(body) == [(1, "fallback", ["dora"])]
    assert "fallback" in body["warning"]

    incident = open_incident(slug="orphan")
    assert [(u, s) for u, s, _ in paged()] == [("dora", "fallback")]
    assert [u.username for u in incident.fallback_responders.all()] == ["dora"]
    assert not incident.nobody_paged
    assert [m.to for m in mail.outbox] == [["dora@example.com"]]


def test_a_moment_with_gaps_everywhere_routes_to_the_fallback_team(staff_client, open_incident):
    # night: payments' only rotation is business hours, no secondary, no lead or manager.
    team = TeamFactory(slug="web")
    weekly(
        RotationFactory(team=team, restriction=Rotation.Restriction.BUSINESS_HOURS),
        UserFactory(username="wendy"),
    )
    ComponentFactory(slug="site", owner_team=team)
    duty = TeamFactory(slug="duty")
    MembershipFactory(team=duty, role="lead", user=UserFactory(username="dm-lead"))
    response = staff_client.patch(
        "/api/v1/routing-settings/", {"fallback_team": "duty"}, format="json"
    )
    assert response.status_code == 200, response.content

    body = staff_client.get("/api/v1/oncall/", {"team": "web", "at": NIGHT.isoformat()}).json()
    assert (body["fallback"]["team"], body["fallback"]["users"]) == ("duty", ["dm-lead"])
    assert steps(body) == [(1, "fallback", ["dm-lead"])]

    open_incident(slug="site")
    assert [(u, s) for u, s, _ in paged()] == [("dm-lead", "fallback")]


def test_with_no_fallback_the_incident_is_recorded_and_says_nobody_was_paged(staff_client):
    ComponentFactory(slug="orphan", owner_team=None)
    response = staff_client.post(
        "/api/v1/incidents/",
        {"title": "Orphan down", "component": "orphan", "severity": "SEV1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nobody_paged"] is True
    assert "nobody will be paged" in body["routing_warning"]
    incident = Incident.objects.get(pk=body["id"])
    assert incident.pages.count() == 0
    assert incident.timeline.filter(
        kind=TimelineEntry.Kind.ESCALATION, text__startswith="Nobody was paged"
    ).exists()


def test_routing_settings_are_changed_by_staff_only(make_client, staff_client):
    engineer = UserFactory(username="eng")
    rotation = RotationFactory()
    refused = make_client(engineer).patch(
        "/api/v1/routing-settings/", {"fallback_rotation": rotation.pk}, format="json"
    )
    assert refused.status_code == 403
    assert (
        make_client(engineer).get("/api/v1/routing-settings/").json()["fallback_rotation"] is None
    )

    allowed = staff_client.patch(
        "/api/v1/routing-settings/", {"fallback_rotation": rotation.pk}, format="json"
    )
    assert allowed.status_code == 200
    assert make_client(engineer).get("/api/v1/routing-settings/").json()["fallback_rotation"] == (
        rotation.pk
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fallback_team": "no-such-team"}, "fallback_team"),
        ({"fallback_rotation": 999999}, "fallback_rotation"),
        ({"cover_check_max_tier": 9}, "cover_check_max_tier"),
    ],
)
def test_bad_routing_settings_are_refused_naming_the_field(staff_client, body, field):
    response = staff_client.patch("/api/v1/routing-settings/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_team_rotation_cannot_be_the_fallback(staff_client):
    team_rotation = RotationFactory(kind=Rotation.Kind.TEAM)
    response = staff_client.patch(
        "/api/v1/routing-settings/", {"fallback_rotation": team_rotation.pk}, format="json"
    )
    assert response.status_code == 400
    assert "fallback_rotation" in response.json()


def test_an_unowned_component_with_a_first_line_still_gets_the_fallback(
    user_client, duty_manager, open_incident
):
    # The first line (omar) only mitigates: nobody owns the response, so dora answers too,
    # in the primary's slot right after the first line.
    from tests.rota.factories import SupportPolicyFactory

    first_line = RotationFactory(name="Ops", timezone="Europe/London")
    weekly(first_line, UserFactory(username="omar"))
    SupportPolicyFactory(first_line_rotation=first_line)
    ComponentFactory(slug="orphan", owner_team=None)
    body = user_client.get(
        "/api/v1/oncall/", {"component": "orphan", "at": NIGHT.isoformat()}
    ).json()
    assert steps(body) == [(1, "first_line", ["omar"]), (2, "fallback", ["dora"])]
    assert "fallback" in body["warning"]
    open_incident(slug="orphan")
    assert [(u, s) for u, s, _ in paged()] == [("omar", "first_line"), ("dora", "fallback")]


def test_a_past_instant_routes_to_the_team_that_owned_the_component_then(user_client):
    from ownership import services as ownership

    # Tuesday 7 January 2025 noon, long past: "moved" belonged to old-owner (olly on call)
    # until 1 February 2025, then to new-owner (nina on call). Asked about that past instant,
    # routing answers old-owner and olly; asked about now, new-owner.
    past = datetime.datetime(2025, 1, 7, 12, tzinfo=UTC)
    old, new = TeamFactory(slug="old-owner"), TeamFactory(slug="new-owner")
    for team, name in ((old, "olly"), (new, "nina")):
        ShiftFactory(
            rotation=RotationFactory(team=team),
            user=UserFactory(username=name),
            start=datetime.datetime(2024, 1, 1, tzinfo=UTC),
            end=datetime.datetime(2031, 1, 1, tzinfo=UTC),
        )
    component = ComponentFactory(slug="moved", owner_team=old)
    ownership.component_update(component=component, owner_team=new)
    moved_at = datetime.datetime(2025, 2, 1, tzinfo=UTC)
    periods = list(component.ownership_periods.order_by("id"))
    assert [p.team.slug for p in periods] == ["old-owner", "new-owner"]
    periods[0].valid_from, periods[0].valid_to = datetime.datetime(2024, 1, 1, tzinfo=UTC), moved_at
    periods[1].valid_from = moved_at
    for period in periods:
        period.save()

    then = user_client.get("/api/v1/oncall/", {"component": "moved", "at": past.isoformat()})
    body = then.json()
    assert (body["owning_team"], body["responding_team"]) == ("old-owner", "old-owner")
    assert body["primary"]["username"] == "olly"
    now = user_client.get("/api/v1/oncall/", {"component": "moved"}).json()
    assert (now["responding_team"], now["primary"]["username"]) == ("new-owner", "nina")


def test_the_incident_page_says_at_the_top_that_nobody_was_paged(client, open_incident):
    ComponentFactory(slug="orphan", owner_team=None)
    incident = open_incident(slug="orphan")
    viewer = UserFactory(username="viewer")
    client.force_login(viewer)
    body = client.get(f"/incidents/{incident.pk}/").content.decode()
    banner = body.index('id="nobody-paged"')
    assert banner < body.index("Acknowledge")


def test_incidents_nobody_was_paged_for_can_be_listed(user_client, payments, open_incident):
    ComponentFactory(slug="orphan", owner_team=None)
    silent = open_incident(slug="orphan")
    open_incident()  # payments: bob is paged
    body = user_client.get("/api/v1/incidents/", {"nobody_paged": "true"}).json()
    assert [row["id"] for row in body["results"]] == [silent.pk]


def test_a_lead_already_paged_hands_the_last_step_to_the_managers(user_client, open_incident, scan):
    # web: lou is both its lead and its primary, max its manager. Path: lou (primary), then
    # max (manager) in the lead's place: lou is never paged twice, and the path does not end.
    team = TeamFactory(slug="web")
    lou = UserFactory(username="lou")
    weekly(RotationFactory(team=team), lou)
    MembershipFactory(team=team, role="lead", user=lou)
    MembershipFactory(team=team, role="manager", user=UserFactory(username="max"))
    ComponentFactory(slug="site", owner_team=team)
    body = user_client.get("/api/v1/oncall/", {"component": "site", "at": NIGHT.isoformat()}).json()
    assert steps(body) == [(1, "primary", ["lou"]), (2, "manager", ["max"])]
    open_incident(slug="site")
    scan(at(5))
    assert [(u, s) for u, s, _ in paged()] == [("lou", "primary"), ("max", "manager")]


def test_with_only_a_first_line_and_no_fallback_the_warning_says_who_is_paged(user_client):
    # No fallback set; "orphan" has no owner; omar is the first line on duty. Nobody owns the
    # response, so the answer says that only the first line is paged.
    from tests.rota.factories import SupportPolicyFactory

    first_line = RotationFactory(name="Ops", timezone="Europe/London")
    weekly(first_line, UserFactory(username="omar"))
    SupportPolicyFactory(first_line_rotation=first_line)
    ComponentFactory(slug="orphan", owner_team=None)
    body = user_client.get(
        "/api/v1/oncall/", {"component": "orphan", "at": NIGHT.isoformat()}
    ).json()
    assert steps(body) == [(1, "first_line", ["omar"])]
    assert body["warning"] == (
        "Nobody is on call for component orphan (no team) and no organisation fallback is on "
        "duty; only the first line is paged."
    )
