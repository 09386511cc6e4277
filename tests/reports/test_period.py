"""The default period of a comparison ends with the last finished sprint."""

import datetime

from reports.records import Cadence
from reports.selectors import report_period

SPRINTS = Cadence("Two-week sprints", datetime.date(2024, 1, 1), 14, "UTC")


def test_a_comparison_without_dates_ends_with_the_last_finished_sprint():
    # Wednesday 7 Feb 2024 is in sprint 2 (29 Jan - 11 Feb), still running: the period ends
    # with sprint 1 on Sunday 28 Jan. 26 weeks back from there is 31 Jul 2023, which starts
    # sprint -11 (154 days before 1 Jan 2024), so the period is 31 Jul 2023 - 28 Jan 2024.
    now = datetime.datetime(2024, 2, 7, 12, tzinfo=datetime.UTC)
    period = report_period(SPRINTS, whole_sprints=True, now=now)
    assert (period.first_day, period.last_day) == (
        datetime.date(2023, 7, 31),
        datetime.date(2024, 1, 28),
    )


def test_dates_given_are_kept_to_whole_sprints():
    # 7 Feb is in sprint 2, which ends 11 Feb: asked for explicitly, it is whole sprint 2.
    now = datetime.datetime(2024, 2, 7, 12, tzinfo=datetime.UTC)
    period = report_period(
        SPRINTS, datetime.date(2024, 1, 20), datetime.date(2024, 2, 7), whole_sprints=True, now=now
    )
    assert (period.first_day, period.last_day) == (
        datetime.date(2024, 1, 15),
        datetime.date(2024, 2, 11),
    )


def test_other_reports_still_end_today():
    now = datetime.datetime(2024, 2, 7, 12, tzinfo=datetime.UTC)
    assert report_period(SPRINTS, now=now).last_day == datetime.date(2024, 2, 7)
