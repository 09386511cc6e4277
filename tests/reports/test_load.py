"""Support load per team per sprint, on a small example computed by hand."""

import dataclasses
import datetime

import pytest

from reports.load import support_load
from reports.records import BugRecord, IncidentRecord, PageRecord

from .factories import at, data, person, team

NEW_YEAR = datetime.date(2024, 1, 1)


def incident(id, created, severity, *, ack, resolved, **extra):
    return IncidentRecord(
        id=id, created_at=created, severity=severity, urgency="interrupting", component_id=1,
        owning_team_id=1, responding_team_id=1, acknowledged_at=ack, resolved_at=resolved,
        **extra,
    )  # fmt: skip


@pytest.fixture
def example():
    """Team Alpha (two people, 25% buffer, 1 January off) and a one-person SRE team."""
    alpha = team(1, "alpha", [11, 12], tz="Europe/London", buffer=25, holidays=[NEW_YEAR])
    sre = team(3, "sre", [31], tz="Europe/London")
    people = [
        person(11, "ann", [1], tz="Europe/London", holidays=[NEW_YEAR]),
        person(12, "bob", [1], tz="Europe/London", holidays=[NEW_YEAR],
               leave=[(datetime.date(2024, 1, 2), datetime.date(2024, 1, 3))]),
        person(31, "sam", [3], tz="Europe/London"),
    ]  # fmt: skip
    incidents = [
        incident(1, at(2, 10), "SEV1", ack=at(2, 10, 10), resolved=at(2, 11, 10)),  # 1 h
        # Saturday 02:30 to Monday 02:30, nothing logged: no working hours in between (48 h of
        # clock; the old rule charged min(48, 8) = 8 h of "work").
        incident(2, at(6, 2), "SEV3", ack=at(6, 2, 30), resolved=at(8, 2, 30)),
        incident(3, at(9, 12), "SEV2", ack=at(9, 12, 5), resolved=at(9, 20), logged_minutes=90),
        # The first line (sam) mitigated after half an hour; nothing logged, so the estimate
        # covers acknowledgement to mitigation: sam's half hour, nothing left for Alpha.
        incident(4, at(10, 14), "SEV2", ack=at(10, 14), resolved=at(10, 15),
                 mitigated_at=at(10, 14, 30), mitigated_by_id=31, first_line_user_id=31),
        incident(5, at(20, 14), "SEV1", ack=at(20, 14), resolved=at(20, 15)),  # next sprint
    ]  # fmt: skip
    pages = [
        PageRecord(1, 11, at(2, 10), "primary", 1),  # in hours
        PageRecord(2, 12, at(6, 2), "primary", 1),  # Saturday night
        PageRecord(4, 31, at(10, 14), "first_line", 1),  # counts for sam's own team
    ]
    bugs = [
        # Six working hours of a one-day timebox.
        BugRecord(1, at(3, 9), 1, 1, 1, timebox_days=1, investigation_started_at=at(3, 13),
                  investigation_finished_at=at(4, 11), timebox_ends_at=at(4, 13)),
        # Filed last year, investigated for five full days so far: past its two-day timebox.
        BugRecord(2, datetime.datetime(2023, 12, 28, tzinfo=datetime.UTC), 1, 1, 1,
                  timebox_days=2, investigation_started_at=at(8, 9), timebox_ends_at=at(10, 9)),
        BugRecord(3, at(11, 10), 1, 1, 1),  # filed, waiting for triage
    ]  # fmt: skip
    return {
        "teams": [alpha, sre], "people": people, "first": 1, "last": 14, "now": at(12, 17),
        "incidents": incidents, "pages": pages, "bugs": bugs,
    }  # fmt: skip


def test_load_of_a_team_in_a_sprint(example):
    report = support_load(data(**example))
    assert [s.number for s in report.sprints] == [0]
    alpha, sre = report.rows
    assert (alpha.team, alpha.sprint, alpha.first_day) == ("alpha", 0, datetime.date(2024, 1, 1))
    assert (alpha.incidents, alpha.sev1, alpha.sev2, alpha.sev3, alpha.sev4) == (4, 1, 2, 1, 0)
    assert (alpha.pages_in_hours, alpha.pages_out_of_hours) == (1, 1)
    assert (alpha.bugs_filed, alpha.bugs_triaged, alpha.bugs_overran) == (2, 2, 1)
    assert (alpha.timebox_hours, alpha.investigation_hours) == (24.0, 46.0)
    assert alpha.timebox_use_percent == 191.7
    assert alpha.incident_hours == 1 + 0 + 1.5 + 0
    assert alpha.bug_hours == 46.0
    assert alpha.support_hours == 48.5
    assert alpha.estimated_hours == 1 + 46.0  # incident 1 and both investigations
    # Nine working days (1 January is a holiday); bob is away on two of them.
    assert alpha.capacity_hours == 2 * 8 + 7 * 16
    assert alpha.buffer_hours == 32.0
    assert alpha.buffer_used_percent == 151.6
    assert alpha.over_buffer


def test_the_first_line_carries_the_time_until_mitigation_and_its_pages(example):
    report = support_load(data(**example))
    sre = report.rows[1]
    assert sre.team == "sre"
    assert (sre.incidents, sre.pages_in_hours, sre.incident_hours) == (0, 1, 0.5)
    assert (sre.capacity_hours, sre.buffer_hours, sre.buffer_used_percent) == (80.0, 16.0, 3.1)
    assert not sre.over_buffer


def test_summary_per_team(example):
    report = support_load(data(**example))
    summary = report.teams[0]
    assert (summary.team, summary.size, summary.buffer_percent) == ("alpha", 2, 25)
    assert (summary.sprints, summary.incidents, summary.sprints_over_buffer) == (1, 4, 1)
    assert (summary.support_hours, summary.buffer_hours) == (48.5, 32.0)


def test_whole_sprints_of_a_longer_period_each_get_a_row(example):
    report = support_load(data(**{**example, "last": 28}))
    assert [r.sprint for r in report.rows] == [0, 1, 0, 1]
    assert report.rows[1].incidents == 1  # incident 5
    assert report.rows[1].sev1 == 1


def test_team_filter_keeps_only_that_team(example):
    report = support_load(data(**example, team_id=3))
    assert [r.team for r in report.rows] == ["sre"]
    assert report.rows[0].incident_hours == 0.5


def test_a_team_with_nothing_recorded_and_nobody_in_it():
    empty = team(5, "empty", [])
    report = support_load(data(teams=[empty], first=1, last=14))
    (row,) = report.rows
    assert (row.incidents, row.support_hours, row.capacity_hours) == (0, 0.0, 0.0)
    assert row.buffer_used_percent is None
    assert not row.over_buffer
    assert report.teams[0].buffer_used_percent is None


def test_investigation_hours_fall_in_the_sprints_they_were_worked_in():
    """Investigated Thu 11 Jan 13:00 to Tue 16 Jan 12:00 (London = UTC in January): Thursday
    4 h and Friday 8 h in sprint 0; Monday 8 h and Tuesday 3 h in sprint 1. It was triaged in
    sprint 0, where its timebox and investigation count for timebox use."""
    alpha = team(1, "alpha", [11], tz="Europe/London")
    bug = BugRecord(1, at(10, 9), 1, 1, 1, investigation_started_at=at(11, 13),
                    investigation_finished_at=at(16, 12), timebox_ends_at=at(12, 13))  # fmt: skip
    logged = dataclasses.replace(bug, id=2, logged_minutes=23 * 30)  # 11.5 h, spread 12:11
    report = support_load(data(teams=[alpha], first=1, last=28, bugs=[bug]))
    assert [(r.sprint, r.bug_hours, r.estimated_hours, r.bugs_triaged) for r in report.rows] == [
        (0, 12.0, 12.0, 1), (1, 11.0, 11.0, 0)
    ]  # fmt: skip
    report = support_load(data(teams=[alpha], first=1, last=28, bugs=[logged]))
    assert [(r.bug_hours, r.estimated_hours) for r in report.rows] == [(6.0, 0.0), (5.5, 0.0)]
