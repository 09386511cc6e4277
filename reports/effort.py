"""How much time an incident or a bug took, from what was recorded.

* An incident: the minutes people logged on it when they did; otherwise the time from
  acknowledgement (or creation, if nobody acknowledged) to resolution, or to ``now`` while it
  is open, at most ``MAX_INCIDENT_HOURS`` (nobody works a week on one incident without logging
  it; a ticket left open over a weekend is not effort).
* The part of it that is *responding*: from acknowledgement to mitigation (bounded by the
  whole). That is what a first-line rotation takes off a team.
* A bug: the minutes logged on it when recorded; otherwise the working hours (Monday to Friday,
  09:00-17:00 in the fixing team's time zone, without public holidays) between the start of its
  investigation and its end (or ``now`` while it runs).
* A bug's timebox: ``timebox_days`` working days of ``HOURS_PER_TIMEBOX_DAY`` hours.
"""

import datetime

from .records import BugRecord, IncidentRecord
from .workcal import HOUR, WorkCalendar

MAX_INCIDENT_HOURS = 8.0
HOURS_PER_TIMEBOX_DAY = 8.0
ROLLBACK = "rollback"
# Mitigations a first line can do without the owning team: roll back, restart, change config.
FIRST_LINE_KINDS = frozenset({"rollback", "restart", "config"})


def incident_hours(incident: IncidentRecord, now: datetime.datetime) -> float:
    """Return the hours spent on an incident."""
    if incident.logged_minutes is not None:
        return incident.logged_minutes / 60.0
    begin = incident.acknowledged_at or incident.created_at
    end = incident.resolved_at or now
    if end <= begin:
        return 0.0
    return min((end - begin) / HOUR, MAX_INCIDENT_HOURS)


def respond_hours(incident: IncidentRecord, now: datetime.datetime) -> float:
    """Return the part of an incident's hours spent before it was mitigated."""
    total = incident_hours(incident, now)
    if incident.mitigated_at is None:
        return total
    begin = incident.acknowledged_at or incident.created_at
    return max(0.0, min(total, (incident.mitigated_at - begin) / HOUR))


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


def timebox_hours(bug: BugRecord) -> float:
    return bug.timebox_days * HOURS_PER_TIMEBOX_DAY


def overran(bug: BugRecord, now: datetime.datetime) -> bool:
    """Return whether the investigation ran (or is running) past its timebox."""
    if bug.timebox_ends_at is None:
        return False
    return (bug.investigation_finished_at or now) > bug.timebox_ends_at
