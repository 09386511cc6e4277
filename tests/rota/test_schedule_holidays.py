"""Public holidays of a team switch its business-hours rotations off and out-of-hours ones on.

The team's public holidays are typed in through the API; the rotations follow the same rule as
the reports' working hours (Monday to Friday 09:00-17:00 local, except public holidays).
"""

import datetime

import pytest

from reports.workcal import WorkCalendar
from rota import services
from rota.models import Rotation
from rota.selectors import oncall_at, oncall_for, schedule_check, segments_for
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
ONCALL = "/api/v1/oncall/"
BUSINESS = Rotation.Restriction.BUSINESS_HOURS
OUT_OF_HOURS = Rotation.Restriction.OUT_OF_HOURS
HOUR = datetime.timedelta(hours=1)


def utc(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def _holiday(client, team, first, last=None, reason="Public holiday"):
    response = client.post(
        "/api/v1/unavailability/",
        {
            "team": team.slug,
            "start_date": first.isoformat(),
            "end_date": (last or first).isoformat(),
            "kind": "public_holiday",
            "reason": reason,
        },
    )
    assert response.status_code == 201, response.content


def _primary(client, rotation, instant):
    body = client.get(ONCALL, {"rotation": rotation.pk, "at": instant.isoformat()}).json()
    person = body["primary"]
    return None if person is None else (person["username"], person["shift_end"])


def _spans(segments):
    return [(s.start, s.end) for s in segments]


@pytest.fixture
def payments():
    return TeamFactory(slug="payments", name="Payments")


# --- New Year's Day 2024 (a Monday; London is on GMT, so local times equal UTC ones) ----------


def test_a_holiday_switches_a_business_hours_rotation_off(staff_client, user_client, payments):
    ana, lee = UserFactory(username="ana"), UserFactory(username="lee")
    rotation = RotationFactory(team=payments, restriction=BUSINESS, timezone="Europe/London")
    ShiftFactory(rotation=rotation, user=ana, start=utc(2024, 1, 1, 9), end=utc(2024, 1, 8, 9))
    # Another team's business-hours rotation, the same week, without that holiday.
    ledger = RotationFactory(restriction=BUSINESS, timezone="Europe/London")
    ShiftFactory(rotation=ledger, user=lee, start=utc(2024, 1, 1, 9), end=utc(2024, 1, 8, 9))
    _holiday(staff_client, payments, datetime.date(2024, 1, 1), reason="New Year's Day")

    # Monday 11:00 is the holiday: nobody; Tuesday 11:00: ana until 17:00.
    assert _primary(user_client, rotation, utc(2024, 1, 1, 11)) is None
    assert _primary(user_client, rotation, utc(2024, 1, 2, 11)) == ("ana", "2024-01-02T17:00:00Z")
    # The other team works on Monday.
    assert _primary(user_client, ledger, utc(2024, 1, 1, 11)) == ("lee", "2024-01-01T17:00:00Z")
    # The week by hand: Tuesday to Friday 09:00-17:00, no Monday, no weekend.
    week = segments_for([rotation], utc(2024, 1, 1), utc(2024, 1, 8))[rotation.pk]
    assert _spans(week) == [(utc(2024, 1, d, 9), utc(2024, 1, d, 17)) for d in (2, 3, 4, 5)]


def test_a_holiday_is_out_of_hours_all_day(staff_client, user_client, payments):
    bo = UserFactory(username="bo")
    rotation = RotationFactory(team=payments, restriction=OUT_OF_HOURS, timezone="Europe/London")
    ShiftFactory(rotation=rotation, user=bo, start=utc(2023, 12, 29, 9), end=utc(2024, 1, 5, 9))
    _holiday(staff_client, payments, datetime.date(2024, 1, 1), reason="New Year's Day")

    # By hand: from Friday 29 December 17:00 through the weekend and the Monday holiday to
    # Tuesday 09:00 is one stretch out of hours; then the weeknights until Friday 09:00.
    assert _primary(user_client, rotation, utc(2024, 1, 1, 11)) == ("bo", "2024-01-02T09:00:00Z")
    saturday = oncall_at(rotation=rotation, at=utc(2023, 12, 30, 12))
    assert (saturday.start, saturday.end) == (utc(2023, 12, 29, 17), utc(2024, 1, 2, 9))
    assert oncall_at(rotation=rotation, at=utc(2024, 1, 2, 11)) is None
    assert _spans(segments_for([rotation], utc(2023, 12, 29), utc(2024, 1, 6))[rotation.pk]) == [
        (utc(2023, 12, 29, 17), utc(2024, 1, 2, 9)),
        (utc(2024, 1, 2, 17), utc(2024, 1, 3, 9)),
        (utc(2024, 1, 3, 17), utc(2024, 1, 4, 9)),
        (utc(2024, 1, 4, 17), utc(2024, 1, 5, 9)),
    ]


def test_a_team_rotation_follows_the_holidays_of_the_team_on_duty(staff_client, payments):
    ledger = TeamFactory(slug="ledger")
    rotation = TeamRotationFactory(restriction=BUSINESS, timezone="Europe/London")
    ShiftFactory(
        rotation=rotation, team=payments, user=None, start=utc(2024, 1, 1), end=utc(2024, 1, 8)
    )
    _holiday(staff_client, payments, datetime.date(2024, 1, 1))

    assert oncall_at(rotation=rotation, at=utc(2024, 1, 1, 11)) is None  # payments' holiday
    assert oncall_at(rotation=rotation, at=utc(2024, 1, 2, 11)).team == payments
    # Ledger covers the Monday: ledger has no holiday, so it is on duty 09:00-17:00.
    services.override_create(
        rotation=rotation, team=ledger, start=utc(2024, 1, 1), end=utc(2024, 1, 2)
    )
    covering = oncall_at(rotation=rotation, at=utc(2024, 1, 1, 11))
    assert (covering.team, covering.start, covering.end) == (
        ledger,
        utc(2024, 1, 1, 9),
        utc(2024, 1, 1, 17),
    )


def test_a_holiday_is_not_a_gap_of_a_business_hours_rotation(staff_client, payments):
    rotation = RotationFactory(
        team=payments,
        restriction=BUSINESS,
        timezone="Europe/London",
        start_date=datetime.date(2024, 1, 1),
    )
    # Nobody holds Monday the 1st: it is the team's holiday.
    ShiftFactory(rotation=rotation, start=utc(2024, 1, 2, 9), end=utc(2024, 1, 8, 9))
    _holiday(staff_client, payments, datetime.date(2024, 1, 1))

    check = schedule_check(rotation=rotation, now=utc(2024, 1, 1), weeks=1)

    assert check.gaps == []


# --- Easter 2024 in London: Good Friday 29 March on GMT, clocks forward on Sunday 31 March
# at 01:00 UTC, Easter Monday 1 April on BST (UTC+1) ------------------------------------------


@pytest.fixture
def easter(staff_client, payments):
    _holiday(staff_client, payments, datetime.date(2024, 3, 29), reason="Good Friday")
    _holiday(staff_client, payments, datetime.date(2024, 4, 1), reason="Easter Monday")
    return payments


def test_easter_across_the_clock_change_in_business_hours(user_client, easter):
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    rotation = RotationFactory(team=easter, restriction=BUSINESS, timezone="Europe/London")
    # Weekly handoffs at 09:00 local: 09:00Z before the change, 08:00Z after it.
    ShiftFactory(rotation=rotation, user=ana, start=utc(2024, 3, 25, 9), end=utc(2024, 4, 1, 8))
    ShiftFactory(rotation=rotation, user=bo, start=utc(2024, 4, 1, 8), end=utc(2024, 4, 8, 8))

    # Thursday 11:00 GMT: ana until 17:00 GMT. Friday: Good Friday. Monday 11:00 BST (10:00Z):
    # Easter Monday. Tuesday 11:00 BST: bo from 09:00 BST (08:00Z) to 17:00 BST (16:00Z).
    assert _primary(user_client, rotation, utc(2024, 3, 28, 11)) == (
        "ana",
        "2024-03-28T17:00:00Z",
    )
    assert _primary(user_client, rotation, utc(2024, 3, 29, 11)) is None
    assert _primary(user_client, rotation, utc(2024, 4, 1, 10)) is None
    tuesday = oncall_at(rotation=rotation, at=utc(2024, 4, 2, 10))
    assert (tuesday.user, tuesday.start, tuesday.end) == (
        bo,
        utc(2024, 4, 2, 8),
        utc(2024, 4, 2, 16),
    )
    assert _spans(segments_for([rotation], utc(2024, 3, 28), utc(2024, 4, 3))[rotation.pk]) == [
        (utc(2024, 3, 28, 9), utc(2024, 3, 28, 17)),
        (utc(2024, 4, 2, 8), utc(2024, 4, 2, 16)),
    ]


def test_easter_across_the_clock_change_out_of_hours(user_client, easter):
    cy = UserFactory(username="cy")
    rotation = RotationFactory(team=easter, restriction=OUT_OF_HOURS, timezone="Europe/London")
    ShiftFactory(rotation=rotation, user=cy, start=utc(2024, 3, 25, 9), end=utc(2024, 4, 8, 8))

    # By hand: from Thursday 17:00 GMT (17:00Z) over Good Friday, the weekend and Easter Monday
    # to Tuesday 09:00 BST (08:00Z): 4 days 15 hours in one stretch.
    for instant in (utc(2024, 3, 29, 11), utc(2024, 3, 30, 12), utc(2024, 4, 1, 10)):
        found = oncall_at(rotation=rotation, at=instant)
        assert (found.user, found.start, found.end) == (
            cy,
            utc(2024, 3, 28, 17),
            utc(2024, 4, 2, 8),
        ), instant
    assert _primary(user_client, rotation, utc(2024, 4, 1, 10)) == ("cy", "2024-04-02T08:00:00Z")
    assert oncall_at(rotation=rotation, at=utc(2024, 4, 2, 10)) is None
    assert _spans(segments_for([rotation], utc(2024, 3, 28), utc(2024, 4, 3))[rotation.pk]) == [
        (utc(2024, 3, 28), utc(2024, 3, 28, 9)),
        (utc(2024, 3, 28, 17), utc(2024, 4, 2, 8)),
        (utc(2024, 4, 2, 16), utc(2024, 4, 3)),
    ]


def test_business_hours_on_duty_equal_the_reports_working_hours(easter):
    # One rule for both: over the two Easter weeks (25 March - 7 April) the team works 8 days
    # (Mon-Thu, then Tue-Fri) of 8 hours = 64 hours, whichever side counts them.
    rotation = RotationFactory(team=easter, restriction=BUSINESS, timezone="Europe/London")
    ShiftFactory(rotation=rotation, start=utc(2024, 3, 25), end=utc(2024, 4, 8))
    start, end = utc(2024, 3, 25), utc(2024, 4, 8)

    on_duty = sum(
        (s.end - s.start for s in segments_for([rotation], start, end)[rotation.pk]),
        datetime.timedelta(),
    )
    holidays = frozenset({datetime.date(2024, 3, 29), datetime.date(2024, 4, 1)})
    working = WorkCalendar("Europe/London", holidays).working_hours(start, end)

    assert on_duty == 64 * HOUR
    assert working == 64


# --- A person rotation following a team rotation, in New York, across the clock change of
# Sunday 10 March 2024 (EST, UTC-5, before; EDT, UTC-4, after) -------------------------------


@pytest.fixture
def support(staff_client):
    """Alpha is on support until Monday 11 March 12:00 EDT, then beta; each has a holiday."""
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    alice, bert = UserFactory(username="alice"), UserFactory(username="bert")
    MembershipFactory(team=alpha, user=alice)
    MembershipFactory(team=beta, user=bert)
    team_rotation = TeamRotationFactory(timezone="America/New_York")
    handoff = utc(2024, 3, 11, 16)  # 12:00 EDT
    ShiftFactory(
        rotation=team_rotation, team=alpha, user=None, start=utc(2024, 3, 4, 14), end=handoff
    )
    ShiftFactory(
        rotation=team_rotation, team=beta, user=None, start=handoff, end=utc(2024, 3, 18, 13)
    )
    follower = RotationFactory(
        team=None,
        follows_team_rotation=team_rotation,
        restriction=BUSINESS,
        timezone="America/New_York",
    )
    ShiftFactory(rotation=follower, user=alice, start=utc(2024, 3, 4, 14), end=handoff)
    ShiftFactory(rotation=follower, user=bert, start=handoff, end=utc(2024, 3, 18, 13))
    _holiday(staff_client, alpha, datetime.date(2024, 3, 11))
    _holiday(staff_client, beta, datetime.date(2024, 3, 12))
    return follower


def test_a_following_rotation_takes_the_holidays_of_the_team_on_support(user_client, support):
    # Monday 10:00 EDT (14:00Z): alpha is on support and it is alpha's holiday: nobody.
    # Monday 13:00 EDT (17:00Z): beta took over at 12:00 EDT; Monday is not beta's holiday:
    # bert from 12:00 EDT (16:00Z) to 17:00 EDT (21:00Z).
    # Tuesday 10:00 EDT: beta's holiday: nobody. Wednesday 10:00 EDT: bert 09:00-17:00 EDT.
    # Friday 8 March 10:00 EST (15:00Z): alice 09:00-17:00 EST (14:00Z-22:00Z).
    assert _primary(user_client, support, utc(2024, 3, 11, 14)) is None
    assert _primary(user_client, support, utc(2024, 3, 11, 17)) == ("bert", "2024-03-11T21:00:00Z")
    assert _primary(user_client, support, utc(2024, 3, 12, 14)) is None
    assert _primary(user_client, support, utc(2024, 3, 13, 14)) == ("bert", "2024-03-13T21:00:00Z")
    assert _primary(user_client, support, utc(2024, 3, 8, 15)) == ("alice", "2024-03-08T22:00:00Z")
    segments = segments_for([support], utc(2024, 3, 8), utc(2024, 3, 14))[support.pk]
    assert [(s.user.username, s.start, s.end) for s in segments] == [
        ("alice", utc(2024, 3, 8, 14), utc(2024, 3, 8, 22)),
        ("bert", utc(2024, 3, 11, 16), utc(2024, 3, 11, 21)),
        ("bert", utc(2024, 3, 13, 13), utc(2024, 3, 13, 21)),
    ]
    monday = oncall_at(rotation=support, at=utc(2024, 3, 11, 17))
    assert (monday.start, monday.end) == (utc(2024, 3, 11, 16), utc(2024, 3, 11, 21))


# --- Queries ----------------------------------------------------------------------------------


def _organisation(staff_client, copies):
    """Build ``copies`` teams, each with a holiday and restricted rotations of both kinds."""
    rotations = []
    for _ in range(copies):
        team = TeamFactory()
        _holiday(staff_client, team, datetime.date(2024, 1, 1))
        for restriction in (BUSINESS, OUT_OF_HOURS):
            rotation = RotationFactory(team=team, restriction=restriction, timezone="UTC")
            ShiftFactory(rotation=rotation, start=utc(2024, 1, 1, 9), end=utc(2024, 1, 8, 9))
            rotations.append(rotation)
        team_rotation = TeamRotationFactory(restriction=BUSINESS, timezone="UTC")
        ShiftFactory(
            rotation=team_rotation, team=team, user=None, start=utc(2024, 1, 1), end=utc(2024, 2, 1)
        )
        follower = RotationFactory(
            team=None, follows_team_rotation=team_rotation, restriction=BUSINESS, timezone="UTC"
        )
        ShiftFactory(rotation=follower, start=utc(2024, 1, 1, 9), end=utc(2024, 1, 8, 9))
        rotations += [team_rotation, follower]
    return rotations


@pytest.mark.parametrize("copies", [1, 4])
def test_holidays_cost_one_query_for_the_whole_batch(
    staff_client, django_assert_num_queries, copies
):
    rotations = _organisation(staff_client, copies)

    with django_assert_num_queries(3):  # shifts, overrides, holidays
        segments = segments_for(rotations, utc(2024, 1, 1), utc(2024, 1, 8))
    with django_assert_num_queries(3):
        holiday = oncall_for(rotations, utc(2024, 1, 1, 11))
    with django_assert_num_queries(3):
        tuesday = oncall_for(rotations, utc(2024, 1, 2, 11))

    # Per team, in order: business (off on the holiday), out of hours (on), team rotation,
    # follower (both off).
    assert [segment is not None for segment in holiday.values()] == [
        False,
        True,
        False,
        False,
    ] * copies
    assert [segment is not None for segment in tuesday.values()] == [
        True,
        False,
        True,
        True,
    ] * copies
    assert all(
        segments[r.pk][0].start == utc(2024, 1, 2, 9)
        for r in rotations
        if r.restriction == BUSINESS
    )
