"""Double bookings: a person on duty in two person rotations at once is one clash, listed once.

The week of Monday 1 January 2024 (UTC). Alice holds "Payments primary" all week; in "Search
secondary" she holds two back-to-back shifts, Wednesday 09:00 to Thursday 09:00 and Thursday
09:00 to Friday 09:00, and bob covers Thursday 12:00-14:00 by an override. By hand, alice is
double booked Wednesday 09:00 to Thursday 12:00 and Thursday 14:00 to Friday 09:00: two
clashes (she is free of Search for two hours in between), each listed once.
"""

import datetime

import pytest

from rota.selectors.checks import schedule_check, schedule_checks
from tests.ownership.factories import UserFactory

from .factories import OverrideFactory, RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(day, hour=0):
    return datetime.datetime(2024, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def booked():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    payments = RotationFactory(name="Payments primary", timezone="UTC")
    search = RotationFactory(name="Search secondary", timezone="UTC", role="secondary")
    ShiftFactory(rotation=payments, user=alice, start=at(1, 9), end=at(8, 9))
    first = ShiftFactory(rotation=search, user=alice, start=at(3, 9), end=at(4, 9))
    second = ShiftFactory(rotation=search, user=alice, start=at(4, 9), end=at(5, 9))
    OverrideFactory(rotation=search, user=bob, start=at(4, 12), end=at(4, 14))
    return {"alice": alice, "payments": payments, "search": search, "shifts": (first, second)}


def clashes(check):
    return [
        (b.user.username, b.rotation.name, b.other_rotation.name, b.start, b.end)
        for b in check.double_bookings
    ]


def test_each_clash_is_listed_once_naming_both_rotations(booked):
    payments, search = booked["payments"], booked["search"]
    checks = schedule_checks(rotations=[payments, search], now=at(1, 9), weeks=1)

    by_name = {check.rotation.name: check for check in checks}
    # Held by the rotation checked first; the other one does not repeat it.
    assert clashes(by_name["Payments primary"]) == [
        ("alice", "Payments primary", "Search secondary", at(3, 9), at(4, 12)),
        ("alice", "Payments primary", "Search secondary", at(4, 14), at(5, 9)),
    ]
    assert by_name["Search secondary"].double_bookings == []
    first, second = booked["shifts"]
    shift_ids = [set(b.shift_ids) for b in by_name["Payments primary"].double_bookings]
    assert shift_ids[0] >= {first.pk, second.pk} and second.pk in shift_ids[1]


def test_checked_alone_a_rotation_names_the_other(booked):
    check = schedule_check(rotation=booked["search"], now=at(1, 9), weeks=1)

    assert clashes(check) == [
        ("alice", "Search secondary", "Payments primary", at(3, 9), at(4, 12)),
        ("alice", "Search secondary", "Payments primary", at(4, 14), at(5, 9)),
    ]


def test_three_rotations_at_once_are_three_pairs(booked):
    on_call = RotationFactory(name="Incident commander", timezone="UTC")
    ShiftFactory(rotation=on_call, user=booked["alice"], start=at(3, 0), end=at(3, 12))
    rotations = [on_call, booked["payments"], booked["search"]]

    checks = schedule_checks(rotations=rotations, now=at(1, 9), weeks=1)

    found = sorted(c for check in checks for c in clashes(check))
    assert found == [
        ("alice", "Incident commander", "Payments primary", at(3, 0), at(3, 12)),
        ("alice", "Incident commander", "Search secondary", at(3, 9), at(3, 12)),
        ("alice", "Payments primary", "Search secondary", at(3, 9), at(4, 12)),
        ("alice", "Payments primary", "Search secondary", at(4, 14), at(5, 9)),
    ]
