"""The fairness report counts an hour on call once, however many rotations hold it.

dan is "Alpha primary" Mon 1 Jan 2024 09:00 - Mon 8 Jan 09:00 UTC (168 h) and "Alpha
secondary" Sun 7 Jan 09:00 - Tue 9 Jan 09:00 (48 h): 24 h in both at once. By hand: 192 h on
call, 24 h double booked, weekend hours 48 (Saturday and Sunday once each).
"""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from tests.ownership.factories import MembershipFactory, TeamFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
PERIOD = {"from": "2024-01-01", "to": "2024-01-14"}


def at(day, hour=0):
    return datetime.datetime(2024, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def dan():
    alpha = TeamFactory(slug="alpha", name="Alpha", timezone="UTC")
    dan = MembershipFactory(team=alpha, user__username="dan").user
    primary = RotationFactory(name="Alpha primary", team=alpha, timezone="UTC")
    secondary = RotationFactory(
        name="Alpha secondary", team=alpha, timezone="UTC", role="secondary"
    )
    ShiftFactory(rotation=primary, user=dan, start=at(1, 9), end=at(8, 9))
    ShiftFactory(rotation=secondary, user=dan, start=at(7, 9), end=at(9, 9))
    return dan


def test_hours_in_two_rotations_at_once_count_once(user_client, dan, django_assert_num_queries):
    # cadence, teams, memberships, leave and holidays (2), components, incidents (and the bugs
    # of their owning teams), pages, bugs, person rotations, their shifts, their overrides, who
    # takes turns
    with django_assert_num_queries(13):
        response = user_client.get(reverse("report-fairness"), PERIOD)
    assert response.status_code == 200
    (row,) = [p for p in response.json()["people"] if p["username"] == "dan"]
    assert (row["oncall_hours"], row["double_booked_hours"], row["weekend_hours"]) == (
        192.0,
        24.0,
        48.0,
    )
    assert row["shifts"] == 2

    csv_response = user_client.get(reverse("report-fairness"), {**PERIOD, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    (dan_row,) = [r for r in rows if r.get("username") == "dan"]
    assert (float(dan_row["oncall_hours"]), float(dan_row["double_booked_hours"])) == (192, 24)
