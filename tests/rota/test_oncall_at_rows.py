"""The segment in force at an instant, read from the rows around it, is the final schedule's.

``oncall_for`` seeks the shift in force and reads only the overrides that can bound its
segment; ``segments_for`` computes the whole final schedule of a span from every row in it.
They must agree at every instant: here they are compared at each boundary of the schedule
(and a microsecond either side) and every 20 minutes over four weeks that include London's
change to summer time (Sunday 29 March 2026, 01:00 UTC), for rotations with no restriction,
business hours with a team holiday (Good Friday, 3 April 2026) and weekly windows.

The rows (London; GMT until the 29th, BST after): weekly shifts from Monday 16 March 09:00
local, the person changing each week: [16 Mar 09:00Z, 23 Mar 09:00Z), [23 Mar 09:00Z,
30 Mar 08:00Z) (167 h across the change), [30 Mar 08:00Z, 6 Apr 08:00Z), [6 Apr 08:00Z,
13 Apr 08:00Z). Overrides: a cover nested two deep inside another (19 Mar), a cover across
the 23 March handoff with a cover inside it in the next shift, and a cover across the DST
night (28 Mar 22:00Z - 29 Mar 04:00Z). A gap: no shift in [2 Apr 00:00Z, 2 Apr 12:00Z).
"""

import datetime

import pytest

from rota.models import Override, Shift
from rota.routing import responders
from rota.selectors import oncall_for, segments_for
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

from .factories import OverrideFactory, RotationFactory, ShiftFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 16, 9, tzinfo=UTC)
END = datetime.datetime(2026, 4, 13, 8, tzinfo=UTC)
NIGHTS = [{"from_day": 1, "from": "18:00", "to_day": 2, "to": "08:00"}]


def utc(month, day, hour=0, minute=0):
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _rows(rotation, people):
    """Give ``rotation`` the shifts and overrides of the module docstring."""
    a, b, c, d = people
    handoffs = [utc(3, 16, 9), utc(3, 23, 9), utc(3, 30, 8), utc(4, 6, 8), utc(4, 13, 8)]
    for n, (start, end) in enumerate(zip(handoffs, handoffs[1:], strict=False)):
        if n == 2:  # the gap on 2 April, morning
            ShiftFactory(rotation=rotation, user=a, start=start, end=utc(4, 2))
            ShiftFactory(rotation=rotation, user=a, start=utc(4, 2, 12), end=end)
        else:
            ShiftFactory(rotation=rotation, user=people[n], start=start, end=end)
    for who, start, end in (
        (b, utc(3, 19, 6), utc(3, 19, 20)),
        (c, utc(3, 19, 8), utc(3, 19, 12)),
        (d, utc(3, 19, 9), utc(3, 19, 10)),
        (c, utc(3, 22, 20), utc(3, 24, 20)),  # across the 23 March handoff
        (a, utc(3, 24, 10), utc(3, 24, 11)),  # inside it, in the next shift
        (d, utc(3, 28, 22), utc(3, 29, 4)),  # across the DST night
    ):
        OverrideFactory(rotation=rotation, user=who, start=start, end=end)


@pytest.fixture
def people():
    return [UserFactory(username=name) for name in ("ana", "bo", "cy", "dee")]


@pytest.mark.parametrize(
    "restriction",
    [
        {},
        {"restriction": "business_hours"},
        {"restriction": "out_of_hours"},
        {"restriction": "weekly", "restriction_windows": NIGHTS},
    ],
    ids=["none", "business_hours", "out_of_hours", "weekly"],
)
def test_the_segment_at_each_instant_is_the_final_schedules(people, restriction):
    team = TeamFactory(slug="pay")
    UnavailabilityFactory(
        user=None,
        team=team,
        kind="public_holiday",
        start_date=datetime.date(2026, 4, 3),
        end_date=datetime.date(2026, 4, 3),
    )
    rotation = RotationFactory(team=team, timezone="Europe/London", **restriction)
    _rows(rotation, people)
    schedule = segments_for([rotation], START - datetime.timedelta(days=1), END)[rotation.pk]
    assert schedule, "the schedule has segments"
    tick = datetime.timedelta(microseconds=1)
    instants = {START - tick, END}
    for segment in schedule:
        instants |= {segment.start - tick, segment.start, segment.end - tick, segment.end}
    instant = START
    while instant < END:
        instants.add(instant)
        instant += datetime.timedelta(minutes=20)
    for instant in sorted(instants):
        expected = next((s for s in schedule if s.start <= instant < s.end), None)
        found = oncall_for([rotation], instant)[rotation.pk]
        assert _shape(found) == _shape(expected), instant


def _shape(segment):
    if segment is None:
        return None
    who = segment.user.username if segment.user else None
    return who, segment.start, segment.end, segment.shift_id, segment.override_id


def _history(rotation, user, weeks):
    """Weekly shifts before START with an override in each: history that no lookup needs."""
    first = START - weeks * datetime.timedelta(days=7)
    Shift.objects.bulk_create(
        Shift(
            rotation=rotation,
            user=user,
            start=first + n * datetime.timedelta(days=7),
            end=first + (n + 1) * datetime.timedelta(days=7),
        )
        for n in range(weeks)
    )
    Override.objects.bulk_create(
        Override(
            rotation=rotation,
            user=user,
            start=first + n * datetime.timedelta(days=7, hours=1),
            end=first + n * datetime.timedelta(days=7, hours=1) + datetime.timedelta(hours=2),
        )
        for n in range(weeks)
    )


@pytest.mark.parametrize("weeks", [0, 1000])
def test_lookups_at_an_instant_cost_the_same_queries_with_twenty_years_of_history(
    people, django_assert_num_queries, weeks
):
    # Three rotations of pay: a primary, a business-hours secondary (with a team holiday) and
    # a weekly-windows primary layer; 1,000 weeks (19 years) of shifts and overrides before
    # them in the primary. component, ancestors, policy, its owner then (a past instant reads
    # the ownership history), routing settings, rotations, shifts, overrides, holidays, leads
    # and managers = 10; at 23 March 2026 10:00Z (cy's cover across the handoff reaches out of
    # bo's shift) one more, for the overrides overlapping that cover; at 2 April 06:00Z nobody
    # has a shift, so no holidays are read: 9.
    team = TeamFactory(slug="pay")
    ComponentFactory(slug="billing", owner_team=team)
    UnavailabilityFactory(
        user=None,
        team=team,
        kind="public_holiday",
        start_date=datetime.date(2026, 4, 3),
        end_date=datetime.date(2026, 4, 3),
    )
    primary = RotationFactory(team=team, timezone="Europe/London")
    secondary = RotationFactory(
        team=team, timezone="Europe/London", role="secondary", restriction="business_hours"
    )
    nights = RotationFactory(
        team=team,
        timezone="Europe/London",
        layer=1,
        restriction="weekly",
        restriction_windows=NIGHTS,
    )
    for rotation in (primary, secondary, nights):
        _rows(rotation, people)
    _history(primary, people[0], weeks)
    for instant, queries in ((utc(3, 25, 12), 10), (utc(3, 23, 10), 11), (utc(4, 2, 6), 9)):
        with django_assert_num_queries(queries):
            answer = responders(component="billing", at=instant)
        assert answer.primary is not None or instant == utc(4, 2, 6)
