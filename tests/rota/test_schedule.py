import datetime

import pytest

from rota import services
from rota.models import Rotation
from rota.selectors import final_schedule, oncall_at, schedule_check
from tests.ownership.factories import UserFactory

from .factories import OverrideFactory, RotationFactory, ShiftFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(day, hour=0, minute=0):
    return datetime.datetime(2024, 1, day, hour, minute, tzinfo=UTC)


def test_an_override_splits_the_shift_in_the_final_schedule():
    shift = ShiftFactory(start=at(1, 9), end=at(8, 9))
    cover = UserFactory()
    OverrideFactory(rotation=shift.rotation, user=cover, start=at(3, 9), end=at(4, 9))

    segments = final_schedule(rotation=shift.rotation, start=at(1), end=at(10))

    assert [(s.start, s.end, s.user, s.is_override) for s in segments] == [
        (at(1, 9), at(3, 9), shift.user, False),
        (at(3, 9), at(4, 9), cover, True),
        (at(4, 9), at(8, 9), shift.user, False),
    ]


def test_an_override_changes_who_is_on_call_for_its_window_only():
    shift = ShiftFactory(start=at(1, 9), end=at(8, 9))
    cover = UserFactory()
    services.override_create(
        rotation=shift.rotation, user=cover, start=at(3, 9), end=at(4, 9), reason="sick"
    )

    before, during, after = (
        oncall_at(rotation=shift.rotation, at=t) for t in (at(3, 8), at(3, 9), at(4, 9))
    )

    assert (before.user, before.end) == (shift.user, at(3, 9))  # until the cover starts
    assert (during.user, during.end, during.override_id is not None) == (cover, at(4, 9), True)
    assert (after.user, after.end) == (shift.user, at(8, 9))
    assert oncall_at(rotation=shift.rotation, at=at(8, 9)) is None


def test_a_business_hours_rotation_is_on_call_only_in_business_hours():
    rotation = RotationFactory(restriction=Rotation.Restriction.BUSINESS_HOURS, timezone="UTC")
    shift = ShiftFactory(rotation=rotation, start=at(1, 9), end=at(8, 9))

    monday = oncall_at(rotation=rotation, at=at(1, 10))
    evening = oncall_at(rotation=rotation, at=at(1, 18))
    saturday = oncall_at(rotation=rotation, at=at(6, 12))

    assert (monday.user, monday.end) == (shift.user, at(1, 17))
    assert evening is None and saturday is None


def test_an_out_of_hours_rotation_covers_nights_and_weekends():
    rotation = RotationFactory(restriction=Rotation.Restriction.OUT_OF_HOURS, timezone="UTC")
    ShiftFactory(rotation=rotation, start=at(1, 9), end=at(8, 9))

    friday_night = oncall_at(rotation=rotation, at=at(5, 20))

    assert oncall_at(rotation=rotation, at=at(2, 12)) is None
    assert friday_night.start == at(5, 17) and friday_night.end == at(8, 9)


def test_gaps_in_the_coming_weeks_are_detected():
    rotation = RotationFactory(start_date=datetime.date(2024, 1, 1), timezone="UTC")
    ShiftFactory(rotation=rotation, start=at(1, 9), end=at(8, 9))
    ShiftFactory(rotation=rotation, start=at(9, 9), end=at(15, 9))
    ShiftFactory(rotation=rotation, start=at(15, 9), end=at(22, 9), user=None)  # unassigned

    check = schedule_check(rotation=rotation, now=at(1, 9), weeks=3)

    assert check.gaps == [(at(8, 9), at(9, 9)), (at(15, 9), at(22, 9))]
    assert not check.ok


def test_gaps_outside_business_hours_do_not_count_for_a_business_hours_rotation():
    rotation = RotationFactory(
        restriction=Rotation.Restriction.BUSINESS_HOURS,
        timezone="UTC",
        start_date=datetime.date(2024, 1, 1),
    )
    ShiftFactory(rotation=rotation, start=at(1, 9), end=at(2, 17))
    ShiftFactory(rotation=rotation, start=at(3, 9), end=at(5, 12))  # the night of the 2nd is empty

    check = schedule_check(rotation=rotation, now=at(1, 9), weeks=1)

    assert check.gaps == [(at(5, 12), at(5, 17))]  # Friday afternoon; nights and weekend are off


def test_a_person_on_call_in_two_rotations_at_once_is_a_double_booking():
    alice = UserFactory()
    first, second = RotationFactory(timezone="UTC"), RotationFactory(timezone="UTC")
    ShiftFactory(rotation=first, user=alice, start=at(1, 9), end=at(8, 9))
    ShiftFactory(rotation=second, user=alice, start=at(5, 9), end=at(12, 9))

    check = schedule_check(rotation=first, now=at(1, 9), weeks=1)

    assert [
        (b.kind, b.start, b.end, b.user, b.other_rotation_id) for b in check.double_bookings
    ] == [("elsewhere", at(5, 9), at(8, 9), alice, second.pk)]


def test_an_override_can_resolve_a_double_booking():
    alice = UserFactory()
    first, second = RotationFactory(timezone="UTC"), RotationFactory(timezone="UTC")
    ShiftFactory(rotation=first, user=alice, start=at(1, 9), end=at(8, 9))
    ShiftFactory(rotation=second, user=alice, start=at(5, 9), end=at(12, 9))
    OverrideFactory(rotation=second, start=at(5, 9), end=at(8, 9))

    assert schedule_check(rotation=first, now=at(1, 9), weeks=1).double_bookings == []


def test_leave_during_a_shift_is_a_conflict_of_the_schedule_check():
    shift = ShiftFactory(start=at(1, 9), end=at(8, 9))
    UnavailabilityFactory(
        user=shift.user, start_date=datetime.date(2024, 1, 3), end_date=datetime.date(2024, 1, 3)
    )
    UnavailabilityFactory(
        user=shift.user, start_date=datetime.date(2024, 2, 3), end_date=datetime.date(2024, 2, 3)
    )

    check = schedule_check(rotation=shift.rotation, now=at(1, 9), weeks=2)

    assert [(c.shift_id, c.start, c.end) for c in check.conflicts] == [(shift.pk, at(3), at(4))]
