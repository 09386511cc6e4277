import datetime
from zoneinfo import ZoneInfo

import pytest

from core.timeutil import date_span, local_to_utc

from .factories import SprintCalendarFactory

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("zone", "local", "expected"),
    [
        # Spring forward: a time in the gap happens at the instant the clocks jump.
        ("Europe/London", (2024, 3, 31, 1, 30), (2024, 3, 31, 1, 0)),
        ("America/New_York", (2024, 3, 10, 2, 0), (2024, 3, 10, 7, 0)),
        ("Australia/Lord_Howe", (2024, 10, 6, 2, 15), (2024, 10, 5, 15, 30)),  # 30-minute jump
        # Fall back: a time that happens twice is taken at its first occurrence.
        ("Europe/London", (2024, 10, 27, 1, 30), (2024, 10, 27, 0, 30)),
        ("America/New_York", (2024, 11, 3, 1, 0), (2024, 11, 3, 5, 0)),
        ("Australia/Adelaide", (2024, 4, 7, 2, 45), (2024, 4, 6, 16, 15)),
        # Ordinary times are untouched.
        ("Asia/Kolkata", (2024, 6, 1, 9, 0), (2024, 6, 1, 3, 30)),
    ],
)
def test_local_times_follow_the_one_documented_dst_rule(zone, local, expected):
    result = local_to_utc(datetime.datetime(*local), ZoneInfo(zone))

    assert result == datetime.datetime(*expected, tzinfo=UTC)


def test_a_date_span_covers_whole_local_days():
    start, end = date_span(
        datetime.date(2024, 3, 30), datetime.date(2024, 3, 31), ZoneInfo("Europe/London")
    )

    assert (start, end) == (
        datetime.datetime(2024, 3, 30, 0, tzinfo=UTC),
        datetime.datetime(2024, 3, 31, 23, tzinfo=UTC),  # midnight BST
    )


def test_sprint_numbers_run_both_ways_from_the_reference_sprint():
    calendar = SprintCalendarFactory.build(start_date=datetime.date(2024, 1, 1), length_days=14)

    assert calendar.sprint_dates(0) == (datetime.date(2024, 1, 1), datetime.date(2024, 1, 14))
    assert calendar.sprint_dates(3) == (datetime.date(2024, 2, 12), datetime.date(2024, 2, 25))
    assert calendar.sprint_containing(datetime.date(2023, 12, 31)) == (
        -1,
        datetime.date(2023, 12, 18),
        datetime.date(2023, 12, 31),
    )
    assert calendar.sprint_number(datetime.date(2024, 1, 15)) == 1
    assert calendar.first_sprint_from(datetime.date(2024, 1, 15)) == 1
    assert calendar.first_sprint_from(datetime.date(2024, 1, 16)) == 2
