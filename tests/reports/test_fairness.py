"""Fairness per person and its spread across a team, on a small example computed by hand."""

import dataclasses
import datetime
import statistics

import pytest

from reports.fairness import fairness
from reports.records import DutySpan, PageRecord

from .factories import at, data, person, team

NEW_YEAR = datetime.date(2024, 1, 1)


@pytest.fixture
def example():
    """Three people in Alpha over 1-14 January 2024 (London, 1 January off)."""
    alpha = team(1, "alpha", [11, 12, 13], tz="Europe/London", holidays=[NEW_YEAR])
    people = [
        person(u, name, [1], tz="Europe/London", holidays=[NEW_YEAR])
        for u, name in ((11, "ann"), (12, "bob"), (13, "cat"))
    ]
    duty = [
        # ann's week over a weekend and a holiday, bob covering one working day of it
        DutySpan(11, 1, at(1, 9), at(3, 9), "shift:1"),
        DutySpan(12, 1, at(3, 9), at(3, 17), "override:1"),
        DutySpan(11, 1, at(3, 17), at(8, 9), "shift:1"),
        DutySpan(12, 1, at(8, 9), at(15, 0), "shift:2"),  # clipped at the end of the period
    ]
    pages = [
        PageRecord(1, 11, at(2, 10)),  # in working hours
        PageRecord(2, 11, at(6, 3)),  # the night of Friday 5th...
        PageRecord(3, 11, at(6, 4)),  # ...again the same night
        PageRecord(4, 11, at(6, 23)),  # the night of Saturday 6th
        PageRecord(5, 12, at(9, 12)),
    ]
    return {"teams": [alpha], "people": people, "first": 1, "last": 14, "duty": duty,
            "pages": pages}  # fmt: skip


def test_measures_per_person(example):
    report = fairness(data(**example))
    ann, bob, cat = report.people
    assert (ann.username, ann.oncall_hours, ann.shifts) == ("ann", 160.0, 1)
    assert (ann.weekend_shifts, ann.weekend_hours) == (1, 48.0)
    assert (ann.holiday_shifts, ann.holiday_hours) == (1, 15.0)
    assert (ann.pages, ann.pages_out_of_hours, ann.nights_woken) == (4, 3, 2)
    assert (bob.oncall_hours, bob.shifts, bob.weekend_shifts, bob.weekend_hours) == (
        8.0 + 159.0, 2, 1, 48.0
    )  # fmt: skip
    assert (bob.holiday_shifts, bob.pages, bob.pages_out_of_hours, bob.nights_woken) == (0, 1, 0, 0)
    assert (cat.oncall_hours, cat.shifts, cat.pages) == (0.0, 0, 0)
    assert ann.teams == ["alpha"]


def test_spread_balance_and_who_carries_too_much(example):
    (alpha,) = fairness(data(**example)).teams
    spread = {s.measure: s for s in alpha.spread}
    hours = spread["oncall_hours"]
    assert (hours.minimum, hours.maximum, hours.median) == (0.0, 167.0, 160.0)
    # Gini = sum of |x_i - x_j| over all ordered pairs / (2 n^2 mean) = 668 / (2 * 9 * 109)
    assert hours.gini == round(668 / (2 * 9 * 109), 3) == 0.34
    assert hours.cv == round(statistics.pstdev([160, 167, 0]) / statistics.mean([160, 167, 0]), 3)
    assert alpha.balance == round(1 - 668 / (2 * 9 * 109), 3)
    # Nobody has 1.5 times the median of 160 hours; ann alone took the night pages.
    assert alpha.flagged == ["ann"]
    ann = alpha.people[0]
    assert ann.flags == ["pages_out_of_hours", "nights_woken"]


def test_a_higher_flag_factor_flags_fewer_and_a_single_page_flags_nobody(example):
    example["pages"] = example["pages"][:2]  # ann: one page out of hours
    (alpha,) = fairness(data(**example), flag_factor=3.0).teams
    assert alpha.flagged == []


def test_team_filter_and_a_team_without_anyone():
    alpha = team(1, "alpha", [11])
    empty = team(2, "empty", [])
    ann = person(11, "ann", [1])
    report = fairness(data(teams=[alpha, empty], people=[ann], first=1, last=14, team_id=2))
    (only,) = report.teams
    assert (only.team, only.people, only.flagged, only.balance) == ("empty", [], [], 1.0)
    assert report.people == []


def test_two_roles_at_once_count_once_and_the_overlap_is_reported():
    """dan is Alpha primary Mon 1 Jan 09:00 - Mon 8 Jan 09:00 (168 h) and Alpha secondary
    Sun 7 Jan 09:00 - Tue 9 Jan 09:00 (48 h), and incident commander Sun 7 10:00-12:00 too.

    By hand: on call Mon 1 09:00 - Tue 9 09:00 = 192 h (not 168 + 48 + 2 = 218); double booked
    Sun 7 09:00 - Mon 8 09:00 = 24 h (three roles for two of them still count once); weekend
    hours all of Saturday and Sunday = 48 h (not 48 + 15 + 2); three shifts, one weekend each.
    """
    alpha = team(1, "alpha", [11, 12])
    people = [person(11, "dan", [1]), person(12, "eve", [1])]
    duty = [
        DutySpan(11, 1, at(1, 9), at(8, 9), "shift:1"),
        DutySpan(11, 2, at(7, 9), at(9, 9), "shift:2"),
        DutySpan(11, 3, at(7, 10), at(7, 12), "shift:3"),
        DutySpan(12, 1, at(8, 9), at(15, 0), "shift:4"),
    ]
    report = fairness(data(teams=[alpha], people=people, first=1, last=14, duty=duty))
    dan, eve = report.people
    assert (dan.oncall_hours, dan.double_booked_hours, dan.weekend_hours) == (192.0, 24.0, 48.0)
    assert (dan.shifts, dan.weekend_shifts) == (3, 3)
    assert (eve.oncall_hours, eve.double_booked_hours) == (159.0, 0.0)
    (alpha_report,) = report.teams
    spread = {s.measure: s for s in alpha_report.spread}
    assert (spread["oncall_hours"].minimum, spread["oncall_hours"].maximum) == (159.0, 192.0)


def test_a_lead_on_no_rotation_does_not_change_the_balance(example):
    """Add lee, a lead of Alpha who is in no rotation and held no duty. The spread and the
    balance stay over ann, bob and cat (Gini 0.34, balance 0.66); counted as a 0-hour person
    lee would make it 1 - Gini(160, 167, 0, 0): ordered pairs differ by 2 x 2 x (160 + 167)
    + 2 x 7 = 1322 in all, so 1 - 1322 / (2 * 16 * 81.75) = 0.495."""
    example["teams"] = [dataclasses.replace(example["teams"][0], members=(11, 12, 13, 14))]
    example["people"] = [*example["people"], person(14, "lee", [1], tz="Europe/London")]
    report = fairness(data(**example, turn_takers=frozenset({11, 12, 13})))
    (alpha,) = report.teams
    assert alpha.balance == round(1 - 668 / (2 * 9 * 109), 3)
    hours = next(s for s in alpha.spread if s.measure == "oncall_hours")
    assert (hours.minimum, hours.median) == (0.0, 160.0)
    lee = next(p for p in alpha.people if p.username == "lee")
    assert (lee.takes_turns, lee.oncall_hours, lee.flags) == (False, 0.0, [])
    # Without knowing who takes turns (an older caller), everyone listed counts.
    assert fairness(data(**example)).teams[0].balance == 0.495
