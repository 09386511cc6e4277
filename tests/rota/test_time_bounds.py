"""Times outside 2000-01-01..2100-12-31 (UTC) are refused with 400 naming the field, and
nothing is saved; pages that show an extreme time already in the database still answer."""

import datetime

import pytest

from core.timeutil import wall_clock, window_text, zone
from rota.models import Override, Shift, Unavailability
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import OverrideFactory, RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

BOUNDS = "Give a date between 2000-01-01 and 2100-12-31 (UTC)."


@pytest.fixture
def payments(make_client):
    team = TeamFactory(slug="payments")
    alice = MembershipFactory(team=team, user=UserFactory(username="alice.martin")).user
    rotation = RotationFactory(team=team, timezone="Europe/London")
    return {"team": team, "alice": alice, "rotation": rotation, "client": make_client(alice)}


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T10:00:00Z", ("start", "end")),
        ("1999-12-31T23:00:00Z", "2030-01-01T10:00:00Z", ("start",)),  # an hour before
        ("2030-01-01T00:00:00Z", "9999-12-31T10:00:00Z", ("end",)),
        ("2100-12-31T23:00:00Z", "2101-01-01T00:00:00Z", ("end",)),  # the first instant past
    ],
)
def test_an_override_outside_the_range_is_a_400_naming_the_field(payments, start, end, fields):
    body = {"rotation": payments["rotation"].pk, "user": "alice.martin", "start": start, "end": end}
    response = payments["client"].post("/api/v1/overrides/", body)
    assert response.status_code == 400
    assert response.json() == {field: [BOUNDS] for field in fields}
    assert not Override.objects.exists()


def test_the_last_hour_of_the_range_is_kept(payments):
    body = {
        "rotation": payments["rotation"].pk,
        "user": "alice.martin",
        "start": "2100-12-31T23:00:00Z",
        "end": "2100-12-31T23:59:59Z",
    }
    response = payments["client"].post("/api/v1/overrides/", body)
    assert response.status_code == 201, response.content
    assert (response.json()["start"], response.json()["end"]) == (
        "2100-12-31T23:00:00Z",
        "2100-12-31T23:59:59Z",
    )
    override = Override.objects.get()
    assert (override.start, override.end) == (
        datetime.datetime(2100, 12, 31, 23, tzinfo=datetime.UTC),
        datetime.datetime(2100, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
    )


def test_a_shift_at_the_end_of_time_is_a_400(make_client, payments):
    manager = MembershipFactory(team=payments["team"], role="manager").user
    body = {
        "rotation": payments["rotation"].pk,
        "user": "alice.martin",
        "start": "9999-12-30T00:00:00Z",
        "end": "9999-12-31T00:00:00Z",
    }
    response = make_client(manager).post("/api/v1/shifts/", body)
    assert response.status_code == 400
    assert response.json() == {"start": [BOUNDS], "end": [BOUNDS]}
    assert not Shift.objects.exists()


def test_leave_in_year_one_is_a_400(payments):
    body = {"start_date": "0001-01-01", "end_date": "2030-01-02", "reason": "x"}
    response = payments["client"].post("/api/v1/unavailability/", body)
    assert response.status_code == 400
    assert response.json() == {"start_date": [BOUNDS]}
    assert not Unavailability.objects.exists()


def test_the_admin_refuses_an_override_outside_the_range(client, payments):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/rota/override/add/",
        {
            "rotation": payments["rotation"].pk,
            "user": payments["alice"].pk,
            "start_0": "0001-01-01",
            "start_1": "00:00",
            "end_0": "0001-01-01",
            "end_1": "10:00",
            "reason": "",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert BOUNDS in response.content.decode()
    assert not Override.objects.exists()


def test_extreme_times_already_stored_do_not_break_pages(client, payments):
    # Rows written before the bounds (or straight to the database): the override list, the
    # person's page and the shifts API still answer; the admin shows such a time in UTC ISO.
    rotation = payments["rotation"]
    start = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
    OverrideFactory(
        rotation=rotation, user=payments["alice"], start=start, end=start.replace(hour=10)
    )
    late = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
    ShiftFactory(rotation=rotation, user=payments["alice"], start=late, end=late.replace(hour=23))
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = client.get("/admin/rota/override/", {"when": "all"})  # past ones too
    assert listing.status_code == 200
    # London is UTC+00:00 in January... but year 1 in London is LMT (-00:01:15), before year 1.
    assert "0001-01-01T00:00:00+00:00" in listing.content.decode()
    assert client.get("/admin/rota/shift/").status_code == 200
    assert client.get("/admin/rota/shift/", {"when": "all"}).status_code == 200
    client.force_login(payments["alice"])
    assert client.get("/me/").status_code == 200
    assert payments["client"].get("/api/v1/shifts/", {"user": "alice.martin"}).status_code == 200


def test_display_helpers_never_raise_on_extreme_instants():
    first = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
    last = datetime.datetime(9999, 12, 31, 23, 59, tzinfo=datetime.UTC)
    # 9999-12-31 23:59 UTC is past year 9999 in Tokyo; year 1 in New York (-04:56) before 1.
    assert wall_clock(first, "America/New_York", "%H:%M") == "0001-01-01T00:00:00+00:00"
    assert wall_clock(last, "Asia/Tokyo", "%H:%M") == "9999-12-31T23:59:00+00:00"
    assert window_text(first, last, zone("America/New_York")) == (
        "0001-01-01T00:00:00+00:00–Fri 31 Dec 18:59"
    )


def _incident():
    from tests.incidents.factories import IncidentFactory

    return IncidentFactory()


def _bug():
    from tests.incidents.factories import BugFactory

    return BugFactory()


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (_incident, "created_at"),
        (_incident, "resolved_at"),
        (_bug, "investigation_started_at"),
    ],
)
def test_incident_and_bug_times_are_bounded_too(make, field):
    # The same rule on every model with entered times: year 9999 is refused, named.
    from django.core.exceptions import ValidationError

    row = make()
    setattr(row, field, datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    assert raised.value.message_dict[field] == [BOUNDS]
