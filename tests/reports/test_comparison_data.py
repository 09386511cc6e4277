"""The model comparison from the database: the configured rotation, who takes turns, kinds.

Sprints of two weeks from Monday 1 January 2024 (UTC). Alpha (ann and al on its on-call
rotation; lee, its lead, on none) owns the API; Beta (bob, bea) owns the web site; Ops is an
operations team. A rotating support policy's team rotation puts Beta on shift from Monday
1 January 09:00 and Alpha from Monday 15 January 09:00 (one sprint each). Two incidents with
an hour logged each: X1 on Tuesday 2 January 10:00 in the API (Beta on shift handles it:
1 h x 1.25 for a component it does not own), X2 on Tuesday 16 January 10:00 in the web site
(Alpha on shift: 1.25 h). In name order from the period's start, Alpha would take whichever
sprint the period starts with.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ownership.models import Component, Membership, Team
from rota.models import Rotation, SupportPolicy
from tests.incidents.factories import BugFactory, IncidentFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.rota.factories import (
    RotationFactory,
    ShiftFactory,
    SprintCalendarFactory,
    TeamRotationFactory,
)

UTC = datetime.UTC
URL = "report-model-comparison"
ROTATING = {"model": "rotating", "first_line": "without"}


def at(day, hour=0):
    return datetime.datetime(2024, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def organisation(db):
    calendar = SprintCalendarFactory(timezone="UTC")
    alpha = TeamFactory(slug="alpha", name="Alpha")
    beta = TeamFactory(slug="beta", name="Beta")
    TeamFactory(slug="ops", name="Ops", kind=Team.Kind.OPERATIONS)
    ann = MembershipFactory(team=alpha, user__username="ann").user
    al = MembershipFactory(team=alpha, user__username="al").user
    MembershipFactory(team=alpha, user__username="lee", role=Membership.Role.LEAD)
    bob = MembershipFactory(team=beta, user__username="bob").user
    bea = MembershipFactory(team=beta, user__username="bea").user
    RotationFactory(team=alpha, participants=[ann, al], sprint_calendar=calendar)
    RotationFactory(team=beta, participants=[bob, bea], sprint_calendar=calendar)
    shift = TeamRotationFactory(
        name="Support shift", participants=[beta, alpha], shift_length_count=1,
        sprint_calendar=calendar, timezone="UTC",
    )  # fmt: skip
    ShiftFactory(rotation=shift, team=alpha, user=None, start=at(1) - datetime.timedelta(days=14)
                 + datetime.timedelta(hours=9), end=at(1, 9))  # fmt: skip
    ShiftFactory(rotation=shift, team=beta, user=None, start=at(1, 9), end=at(15, 9))
    ShiftFactory(rotation=shift, team=alpha, user=None, start=at(15, 9), end=at(29, 9))
    SupportPolicy.objects.create(name="Rotating support", model="rotating", team_rotation=shift)
    api = ComponentFactory(slug="api", owner_team=alpha)
    web = ComponentFactory(slug="web", owner_team=beta)
    for component, created in ((api, at(2, 10)), (web, at(16, 10))):
        IncidentFactory(
            component=component, created_at=created, acknowledged_at=created,
            resolved_at=created + datetime.timedelta(hours=1), status="resolved",
            logged_minutes=60,
        )  # fmt: skip
    return {"rotation": shift}


def teams(body, key):
    scenario = next(s for s in body["scenarios"] if s["key"] == key)
    return {row["team"]: row for row in scenario["teams"]}


def test_the_configured_rotation_is_replayed_whatever_the_period_start(user_client, organisation):
    url = reverse(URL)
    whole = user_client.get(url, {"from": "2024-01-01", "to": "2024-01-28", **ROTATING}).json()
    assert whole["rotation"]["mode"] == "configured"
    assert whole["rotation"]["name"] == "Support shift"
    got = teams(whole, "rotating")
    assert (got["beta"]["incidents"], got["beta"]["hours"]) == (1, 1.25)
    assert (got["alpha"]["incidents"], got["alpha"]["hours"]) == (1, 1.25)
    later = user_client.get(url, {"from": "2024-01-15", "to": "2024-01-28", **ROTATING}).json()
    got = teams(later, "rotating")
    assert (got["alpha"]["incidents"], got["alpha"]["hours"], got["beta"]["incidents"]) == (
        1, 1.25, 0
    )  # fmt: skip


def test_people_who_take_no_turns_carry_no_standby(user_client, organisation):
    body = user_client.get(reverse(URL), {"from": "2024-01-01", "to": "2024-01-28"}).json()
    ownership = next(s for s in body["scenarios"] if s["key"] == "ownership")
    alpha = teams(body, "ownership")["alpha"]
    # 672 h of duty shared by ann and al (two weeks each), lee never on call.
    assert (alpha["people"], alpha["standby_hours_per_engineer"]) == (2, 336.0)
    people = {p["person"] for p in ownership["people"] if p["team"] == "alpha"}
    assert people == {"ann", "al"}


def test_operations_teams_are_not_product_capacity(user_client, organisation):
    body = user_client.get(reverse(URL), {"from": "2024-01-01", "to": "2024-01-28"}).json()
    got = teams(body, "ownership")
    assert (got["ops"]["product"], got["alpha"]["product"]) == (False, True)
    ownership = next(s for s in body["scenarios"] if s["key"] == "ownership")
    # Alpha 3 people x 80 h and Beta 2 x 80 h a sprint, two sprints; Ops has nobody anyway.
    assert ownership["product_capacity_hours"] == 2 * (240 + 160)


def test_with_a_rotating_policy_the_queries_stay_fixed(user_client, organisation):
    """Eleven queries (see test_query_counts) and three for the rotation: teams, shifts,
    overrides."""
    with CaptureQueriesContext(connection) as queries:
        response = user_client.get(reverse(URL), {"from": "2024-01-01", "to": "2024-01-28"})
    assert response.status_code == 200
    assert len(queries) == 14
    assert Rotation.objects.filter(kind="team").count() == 1


def test_an_investigation_begun_before_the_period_counts_its_hours_inside_it(
    user_client, organisation
):  # fmt: skip
    """Investigated from Thursday 28 December 13:00 to Tuesday 2 January 12:00 (London is UTC
    in winter; no holidays recorded): Monday 1 January 09:00-17:00 and Tuesday 09:00-12:00,
    11 h, fall in sprint 0 of the period; the December hours do not."""
    BugFactory(
        component=Component.objects.get(slug="api"),
        created_at=datetime.datetime(2023, 12, 20, 10, tzinfo=UTC),
        investigation_started_at=datetime.datetime(2023, 12, 28, 13, tzinfo=UTC),
        investigation_finished_at=at(2, 12),
    )
    body = user_client.get(
        reverse("report-load"), {"from": "2024-01-01", "to": "2024-01-14", "team": "alpha"}
    ).json()
    assert [row["bug_hours"] for row in body["rows"]] == [11.0]
    assert body["rows"][0]["estimated_hours"] == 11.0  # no minutes logged on the bug
