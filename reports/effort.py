"""How much time an incident or a bug took, from what was recorded, and in which sprints.

* An incident: the minutes people logged on it when they did. Otherwise an *estimate*: the
  working hours (Monday to Friday, 09:00-17:00 in the responding team's time zone, without its
  public holidays) between acknowledgement (or creation) and mitigation (or resolution, or
  ``now`` while it is open), at most ``MAX_ESTIMATED_HOURS``. Wall-clock time is not effort:
  an incident left open overnight or over a weekend is not a night's work, and the cost of
  being woken is counted as standby (pages, nights woken), not as hours.
* The part of it that is *responding*: from acknowledgement to mitigation (bounded by the
  whole). That is what a first-line rotation takes off a team.
* A bug: the minutes logged on it when recorded; otherwise (an estimate too) the working hours
  of its investigation in the fixing team's calendar, from its start to its end (or ``now``).
  Its hours fall in the sprints in which they were worked: an investigation from Thursday of
  one sprint to Tuesday of the next counts its Thursday and Friday hours in the first sprint.
  Logged minutes are spread over those sprints in proportion to the working hours in each.
* A bug's timebox: ``timebox_days`` working days of ``HOURS_PER_TIMEBOX_DAY`` hours.
"""

import datetime
from typing import NamedTuple

from .records import BugRecord, Cadence, IncidentRecord
from .workcal import HOUR, WorkCalendar

MAX_ESTIMATED_HOURS = 8.0
MAX_SPRINTS = 200  # an investigation left open for years still ends somewhere
HOURS_PER_TIMEBOX_DAY = 8.0
ROLLBACK = "rollback"
# Mitigations a first line can do without the owning team: roll back, restart, change config.
FIRST_LINE_KINDS = frozenset({"rollback", "restart", "config"})


class Effort(NamedTuple):
    """Hours spent on an incident, the part before mitigation, and whether it is an estimate.

    A named tuple: the model comparison asks for one per incident, tens of thousands.
    """

    hours: float
    respond_hours: float
    estimated: bool


def incident_effort(
    incident: IncidentRecord, calendar: WorkCalendar, now: datetime.datetime
) -> Effort:
    """Return the hours spent on an incident (``calendar``: the responding team's)."""
    begin = incident.acknowledged_at or incident.created_at
    if incident.logged_minutes is not None:
        hours = incident.logged_minutes / 60.0
        if incident.mitigated_at is None:
            return Effort(hours, hours, False)
        respond = max(0.0, min(hours, (incident.mitigated_at - begin) / HOUR))
        return Effort(hours, respond, False)
    end = incident.mitigated_at or incident.resolved_at or now
    hours = min(calendar.working_hours(begin, end), MAX_ESTIMATED_HOURS)
    # The estimate covers acknowledgement to mitigation only: all of it is responding.
    return Effort(hours, hours, True)


def incident_hours(incident: IncidentRecord, calendar: WorkCalendar, now) -> float:
    """Return the hours spent on an incident."""
    return incident_effort(incident, calendar, now).hours


def respond_hours(incident: IncidentRecord, calendar: WorkCalendar, now) -> float:
    """Return the part of an incident's hours spent before it was mitigated."""
    return incident_effort(incident, calendar, now).respond_hours


def first_line_mitigated(incident: IncidentRecord) -> bool:
    """Return whether the first-line responder mitigated the incident (so a team did not)."""
    return (
        incident.first_line_user_id is not None
        and incident.mitigated_at is not None
        and incident.mitigated_by_id == incident.first_line_user_id
    )


def investigation_hours(bug: BugRecord, calendar: WorkCalendar, now: datetime.datetime) -> float:
    """Return the working hours a bug's investigation took (so far)."""
    if bug.investigation_started_at is None:
        return 0.0
    end = bug.investigation_finished_at or now
    return calendar.working_hours(bug.investigation_started_at, end)


def bug_hours(bug: BugRecord, calendar: WorkCalendar, now: datetime.datetime) -> float:
    """Return the hours spent on a bug."""
    if bug.logged_minutes is not None:
        return bug.logged_minutes / 60.0
    return investigation_hours(bug, calendar, now)


def bug_hours_by_sprint(
    bug: BugRecord, calendar: WorkCalendar, cadence: Cadence, now: datetime.datetime
) -> list[tuple[int, float]]:
    """Return ``[(sprint number, hours)]``: a bug's hours in the sprints they were worked in.

    Without an investigation, logged minutes count in the sprint the bug was filed in.
    """
    logged = None if bug.logged_minutes is None else bug.logged_minutes / 60.0
    start = bug.investigation_started_at
    if start is None:
        return [(cadence.number_at(bug.created_at), logged)] if logged else []
    end = bug.investigation_finished_at or now
    parts, number = [], cadence.number_at(start)
    for _ in range(MAX_SPRINTS):
        sprint = cadence.sprint(number)
        if sprint.start >= end:
            break
        worked = calendar.working_hours(max(start, sprint.start), min(end, sprint.end))
        if worked > 0:
            parts.append((number, worked))
        number += 1
    if logged is None:
        return parts
    total = sum(hours for _, hours in parts)
    if total <= 0:
        return [(cadence.number_at(start), logged)] if logged else []
    return [(n, logged * hours / total) for n, hours in parts]


def timebox_hours(bug: BugRecord) -> float:
    return bug.timebox_days * HOURS_PER_TIMEBOX_DAY


def overran(bug: BugRecord, now: datetime.datetime) -> bool:
    """Return whether the investigation ran (or is running) past its timebox."""
    if bug.timebox_ends_at is None:
        return False
    return (bug.investigation_finished_at or now) > bug.timebox_ends_at
