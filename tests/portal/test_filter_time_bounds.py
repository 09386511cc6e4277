"""List filters refuse dates and times outside 2000-01-01..2100-12-31 (UTC) with a 400 (API)
or Django's unfiltered list with ``?e=1`` (admin) instead of a 500 on SQLite."""

import pytest

from tests.incidents.factories import IncidentFactory
from tests.ownership.factories import UserFactory
from tests.rota.factories import OverrideFactory, ShiftFactory, SprintCalendarFactory

pytestmark = pytest.mark.django_db

BOUNDS = "Give a date between 2000-01-01 and 2100-12-31 (UTC)."
FAR = ["9999-12-31T23:59:59-15:59", "0001-01-01T00:00:00+15:59", "1999-12-31T23:59:59Z"]


@pytest.mark.parametrize("value", FAR)
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/shifts/", "start_after"),
        ("/api/v1/shifts/", "end_before"),
        ("/api/v1/overrides/", "start_after"),
        ("/api/v1/incidents/", "created_after"),
    ],
)
def test_an_api_time_filter_out_of_range_is_a_400_naming_it(user_client, url, name, value):
    ShiftFactory()
    OverrideFactory()
    IncidentFactory()
    response = user_client.get(url, {name: value})
    assert response.status_code == 400
    assert response.json() == {name: [BOUNDS]}


def test_an_in_range_filter_still_filters(user_client):
    # One shift starting 2024-01-01 09:00 UTC lasting a week (the factory's): it ends after
    # 2024-01-01, and none ends after 2100-12-31.
    ShiftFactory()
    assert (
        user_client.get("/api/v1/shifts/", {"start_after": "2024-01-01T00:00:00Z"}).json()["count"]
        == 1
    )
    late = user_client.get("/api/v1/shifts/", {"start_after": "2100-12-31T00:00:00Z"})
    assert (late.status_code, late.json()["count"]) == (200, 0)


def test_the_incident_timeline_refuses_a_far_filter(user_client):
    incident = IncidentFactory()
    url = f"/api/v1/incidents/{incident.pk}/timeline/"
    assert user_client.get(url).status_code == 200
    response = user_client.get(url, {"created_after": "9999-12-31T23:59:59-15:59"})
    assert response.status_code == 400
    assert response.json() == {"created_after": [BOUNDS]}


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/admin/rota/shift/", "start_day=9999-12-31"),
        ("/admin/rota/shift/", "start_day=0001-01-01"),
        ("/admin/incidents/incident/", "created_at_day=9999-12-31"),
    ],
)
def test_an_admin_day_filter_out_of_range_reloads_unfiltered(client, url, query):
    ShiftFactory()
    IncidentFactory()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    # An in-range day still filters normally.
    field = query.split("=")[0]
    assert client.get(f"{url}?{field}=2024-01-01").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "9999-01-01", "to": "9999-12-31"}, "from"),
        ({"from": "2030-01-01", "to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01"}, "from"),
    ],
)
def test_sprints_out_of_range_are_a_400_naming_the_parameter(user_client, query, field):
    calendar = SprintCalendarFactory()
    response = user_client.get(f"/api/v1/sprint-calendars/{calendar.pk}/sprints/", query)
    assert response.status_code == 400
    assert response.json()[field] == [BOUNDS]
