"""Slugs, usernames and times the database cannot take are a 400 naming the field, never a 500.

PostgreSQL refuses a NUL character in any text it compares and a UTC offset beyond ±15:59;
SQLite takes both. These run on whichever database DATABASE_URL names (CI runs both), and
each way in is covered by one representative per kind: URL parts, query filters (declared,
method and generated), raw query parameters, page forms, and related rows in bodies.
"""

import datetime
import pathlib
import re

import pytest

from tests.ownership.factories import ComponentFactory, TeamFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NUL_MESSAGE = "Null characters are not allowed."
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def world(staff_user):
    team = TeamFactory(slug="payments")
    ComponentFactory(slug="checkout", owner_team=team)
    rotation = RotationFactory(team=team, timezone="UTC")
    ShiftFactory(
        rotation=rotation, user=staff_user, start=datetime.datetime(2026, 12, 1, tzinfo=UTC)
    )
    return team


# (url, the field the answer names). %00 is a NUL once Django decodes the URL.
NUL_IN_QUERY_OR_URL = [
    # URL parts: DRF router lookups by slug (teams, components).
    ("/api/v1/teams/pay%00ments/", "slug"),
    ("/api/v1/components/check%00out/", "slug"),
    # Declared CharFilters on a slug or username.
    ("/api/v1/components/?owner_team=pay%00ments", "owner_team"),
    ("/api/v1/shifts/?user=a%00b", "user"),
    ("/api/v1/swaps/?taken_by=a%00b", "taken_by"),
    ("/api/v1/unavailability/?team=pay%00ments", "team"),
    # Method filters (a slug or a username; a triage queue).
    ("/api/v1/rotations/?participant=a%00b", "participant"),
    ("/api/v1/incidents/?team=pay%00ments", "team"),
    ("/api/v1/bugs/?triage_queue=pay%00ments", "triage_queue"),
    # Filters generated from model fields (Meta.fields, filterset_fields).
    ("/api/v1/sprint-calendars/?timezone=Europe/Lon%00don", "timezone"),
    ("/api/v1/integrations/?kind=gen%00eric", "kind"),
    # Query parameters a view reads itself, and query serializers.
    ("/api/v1/me/feed/?team=pay%00ments", "team"),
    ("/api/v1/oncall/?team=pay%00ments", "team"),
    ("/api/v1/ownership/?path=src%00/app.py", "path"),
    # Portal pages: filter forms choosing rows by slug.
    ("/incidents/?component=check%00out", "component"),
    ("/incidents/new/?component=check%00out", "component"),
]


@pytest.mark.parametrize("url,field", NUL_IN_QUERY_OR_URL)
def test_a_nul_in_a_slug_or_username_reference_is_a_400_naming_it(
    client, staff_client, staff_user, world, url, field
):
    client.force_login(staff_user)
    response = (staff_client if url.startswith("/api/") else client).get(url)

    assert response.status_code == 400, response.content[:300]
    assert response.json()[field] == [NUL_MESSAGE]


# (url, body, field): related rows named by slug or username in a request body.
NUL_IN_BODY = [
    ("/api/v1/incidents/", {"title": "Down", "component": "check\x00out"}, "component"),
    (
        "/api/v1/components/",
        {"name": "Cart", "slug": "cart", "owner_team": "pay\x00"},
        "owner_team",
    ),
    ("/api/v1/components/", {"name": "Cart", "slug": "cart", "parent": "check\x00"}, "parent"),
    ("/api/v1/bugs/", {"title": "Crash", "component": "check\x00out"}, "component"),
    ("/api/v1/rotations/", {"name": "Ops", "team": "pay\x00ments"}, "team"),
    ("/api/v1/overrides/", {"user": "a\x00b"}, "user"),
]


@pytest.mark.parametrize("url,body,field", NUL_IN_BODY)
def test_a_nul_in_a_related_slug_or_username_in_a_body_is_a_400_naming_it(
    staff_client, world, url, body, field
):
    response = staff_client.post(url, body, format="json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()[field] == [NUL_MESSAGE]


def test_a_nul_in_a_query_parameter_name_is_a_400(staff_client, world):
    response = staff_client.get("/api/v1/shifts/?us%00er=x")

    assert response.status_code == 400
    assert "NUL" in response.json()["query"][0]


OFFSET_FILTERS = [
    "/api/v1/shifts/?start_after=",
    "/api/v1/shifts/?start_before=",
    "/api/v1/shifts/?end_after=",
    "/api/v1/overrides/?end_before=",
    "/api/v1/incidents/?created_after=",
    "/api/v1/incidents/?created_before=",
]


@pytest.mark.parametrize("url", OFFSET_FILTERS)
@pytest.mark.parametrize("offset", ["%2B16:00", "%2B23:00", "-16:00", "-23:59"])
def test_a_date_time_filter_with_an_offset_beyond_15_59_is_a_400_naming_it(
    staff_client, world, url, offset
):
    field = url.split("?")[1].rstrip("=")

    response = staff_client.get(f"{url}2026-12-01T10:00:00{offset}")

    assert response.status_code == 400, response.content[:300]
    assert "between -15:59 and +15:59" in response.json()[field][0]


def test_an_offset_of_15_59_is_kept_and_compared_as_the_instant_it_names(staff_client, world):
    # 2026-12-01T15:59+15:59 is 2026-12-01T00:00Z, the shift's start: "starts at or after"
    # includes it, one minute later excludes it.
    at = "2026-12-01T15:59:00%2B15:59"
    later = "2026-12-01T16:00:00%2B15:59"

    included = staff_client.get(f"/api/v1/shifts/?start_after={at}")
    excluded = staff_client.get(f"/api/v1/shifts/?start_after={later}")

    assert included.status_code == 200
    assert included.json()["count"] == 1
    assert excluded.json()["count"] == 0


def test_ordinary_slugs_and_filters_still_answer(staff_client, staff_user, world):
    assert staff_client.get("/api/v1/teams/payments/").json()["slug"] == "payments"
    shifts = staff_client.get(f"/api/v1/shifts/?user={staff_user.username}")
    assert shifts.json()["count"] == 1


def test_every_slug_field_and_filter_set_uses_the_guarded_base():
    # A new serializer or filter built on the unguarded classes would bring the 500 back.
    bare = re.compile(
        r"serializers\.SlugRelatedField|filters\.FilterSet\b|django_filters\.FilterSet\b"
        r"|DjangoFilterBackend"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for app in ("portal", "ownership", "rota", "incidents", "notifications", "reports")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "input_guards.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if bare.search(line) and "settings" not in path.parts
    ]
    assert offenders == []
