"""Support load per team per sprint, against the capacity buffer the team planned.

Attribution rules (what lands on which team, in which sprint):

* an incident counts for its responding team in the sprint in which it was created; when the
  first-line responder mitigated it, the hours until mitigation count for the first line's
  team and only the rest for the responding team;
* a page counts for the team of the person paged (the incident's responding team if they are
  in it), in or out of that team's working hours;
* an incident's hours are those logged, else an estimate in working hours (see
  ``reports.effort``); ``estimated_hours`` says how much of a row's hours is estimated;
* a bug counts as *filed* in the sprint it was created and as *triaged* in the sprint its
  investigation started, for the team that fixes it (its timebox and investigation hours
  count there too, to measure timebox use); its support hours count in the sprints in which
  the investigation was worked (or the filing sprint when time was logged without one);
* capacity is, per working day of the sprint (Monday to Friday without the team's public
  holidays), the team's head count less the members on leave or on a holiday of their own,
  times the hours of a working day; the buffer is ``buffer_percent`` of that, and "buffer
  used" is support hours over buffer hours.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from . import effort
from .records import ReportData, Sprint, TeamInfo
from .stats import percent, rounded
from .workcal import WorkCalendar

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


@dataclass
class TeamSprintLoad:
    team: str
    team_name: str
    sprint: int
    first_day: datetime.date
    last_day: datetime.date
    incidents: int = 0
    sev1: int = 0
    sev2: int = 0
    sev3: int = 0
    sev4: int = 0
    pages_in_hours: int = 0
    pages_out_of_hours: int = 0
    bugs_filed: int = 0
    bugs_triaged: int = 0
    bugs_overran: int = 0
    timebox_hours: float = 0.0
    investigation_hours: float = 0.0
    timebox_use_percent: float | None = None
    incident_hours: float = 0.0
    bug_hours: float = 0.0
    support_hours: float = 0.0
    estimated_hours: float = 0.0
    capacity_hours: float = 0.0
    buffer_percent: int = 0
    buffer_hours: float = 0.0
    buffer_used_percent: float | None = None
    over_buffer: bool = False


@dataclass
class TeamLoadSummary:
    team: str
    team_name: str
    size: int
    buffer_percent: int
    sprints: int
    incidents: int
    pages_out_of_hours: int
    support_hours: float
    buffer_hours: float
    buffer_used_percent: float | None
    sprints_over_buffer: int


@dataclass
class LoadReport:
    sprints: list[Sprint]
    rows: list[TeamSprintLoad]
    teams: list[TeamLoadSummary]


def sprint_capacity(team: TeamInfo, data: ReportData, sprint: Sprint) -> float:
    """Return the hours a team can work in a sprint, leave and holidays taken off."""
    members = [data.people[m] for m in team.members if m in data.people]
    hours = 0.0
    for day in team.calendar.working_days(sprint.first_day, sprint.last_day):
        away = sum(1 for person in members if person.on_leave(day) or day in person.holidays)
        hours += max(team.size - away, 0) * team.hours_per_day
    return hours


def support_load(data: ReportData) -> LoadReport:
    """Return the load of every team in scope in every sprint of the period."""
    sprints = data.cadence.sprints(data.period.first_day, data.period.last_day)
    teams = data.teams_in_scope()
    wanted = {team.id for team in teams}
    numbers = {sprint.number for sprint in sprints}
    cells: dict[tuple[int, int], TeamSprintLoad] = {}
    for team in teams:
        for sprint in sprints:
            cells[team.id, sprint.number] = TeamSprintLoad(
                team=team.slug,
                team_name=team.name,
                sprint=sprint.number,
                first_day=sprint.first_day,
                last_day=sprint.last_day,
                buffer_percent=team.buffer_percent,
                capacity_hours=sprint_capacity(team, data, sprint),
            )

    def cell(team_id, instant) -> TeamSprintLoad | None:
        if team_id not in wanted or instant is None:
            return None
        number = data.cadence.number_at(instant)
        return cells.get((team_id, number)) if number in numbers else None

    def sprint_cell(team_id, number) -> TeamSprintLoad | None:
        return cells.get((team_id, number)) if team_id in wanted else None

    _add_incidents(data, cell)
    _add_pages(data, cell)
    _add_bugs(data, cell, sprint_cell)
    rows = [cells[team.id, sprint.number] for team in teams for sprint in sprints]
    for row in rows:
        _finish(row)
    return LoadReport(sprints=sprints, rows=rows, teams=_summaries(teams, rows))


def _add_incidents(data: ReportData, cell) -> None:
    default = WorkCalendar(data.cadence.timezone)
    for incident in data.incidents:
        target = cell(incident.responding_team_id, incident.created_at)
        if target is not None:
            target.incidents += 1
            if incident.severity in SEVERITIES:
                field = incident.severity.lower()
                setattr(target, field, getattr(target, field) + 1)
        responding = data.teams.get(incident.responding_team_id)
        calendar = responding.calendar if responding else default
        spent = effort.incident_effort(incident, calendar, data.now)
        hours = spent.hours
        if effort.first_line_mitigated(incident):
            first = spent.respond_hours
            first_line_team = data.home_team(incident.first_line_user_id)
            first_line_cell = cell(first_line_team, incident.created_at)
            if first_line_cell is not None:
                first_line_cell.incident_hours += first
                first_line_cell.estimated_hours += first if spent.estimated else 0.0
            hours -= first
        if target is not None:
            target.incident_hours += hours
            target.estimated_hours += hours if spent.estimated else 0.0


def _add_pages(data: ReportData, cell) -> None:
    for page in data.pages:
        team_id = data.home_team(page.user_id, prefer=page.responding_team_id)
        target = cell(team_id, page.at)
        if target is None:
            continue
        if data.teams[team_id].calendar.is_working_time(page.at):
            target.pages_in_hours += 1
        else:
            target.pages_out_of_hours += 1


def _add_bugs(data: ReportData, cell, sprint_cell) -> None:
    for bug in data.bugs:
        filed = cell(bug.team_id, bug.created_at) if data.period.contains(bug.created_at) else None
        if filed is not None:
            filed.bugs_filed += 1
        team = data.teams.get(bug.team_id)
        if team is None:
            continue
        triaged = None
        if data.period.contains(bug.investigation_started_at):
            triaged = cell(bug.team_id, bug.investigation_started_at)
        if triaged is not None:
            triaged.bugs_triaged += 1
            triaged.timebox_hours += effort.timebox_hours(bug)
            triaged.investigation_hours += effort.investigation_hours(bug, team.calendar, data.now)
            triaged.bugs_overran += effort.overran(bug, data.now)
        estimated = bug.logged_minutes is None
        for number, hours in effort.bug_hours_by_sprint(bug, team.calendar, data.cadence, data.now):
            target = sprint_cell(bug.team_id, number)
            if target is not None:
                target.bug_hours += hours
                target.estimated_hours += hours if estimated else 0.0


def _finish(row: TeamSprintLoad) -> None:
    row.support_hours = row.incident_hours + row.bug_hours
    row.buffer_hours = row.capacity_hours * row.buffer_percent / 100.0
    row.buffer_used_percent = percent(row.support_hours, row.buffer_hours)
    row.over_buffer = row.support_hours > row.buffer_hours
    row.timebox_use_percent = percent(row.investigation_hours, row.timebox_hours)
    for name in (
        "timebox_hours",
        "investigation_hours",
        "incident_hours",
        "bug_hours",
        "support_hours",
        "estimated_hours",
        "capacity_hours",
        "buffer_hours",
    ):
        setattr(row, name, rounded(getattr(row, name), 2))


def _summaries(teams: list[TeamInfo], rows: list[TeamSprintLoad]) -> list[TeamLoadSummary]:
    by_team = defaultdict(list)
    for row in rows:
        by_team[row.team].append(row)
    summaries = []
    for team in teams:
        mine = by_team[team.slug]
        support = sum(r.support_hours for r in mine)
        buffer = sum(r.buffer_hours for r in mine)
        summaries.append(
            TeamLoadSummary(
                team=team.slug,
                team_name=team.name,
                size=team.size,
                buffer_percent=team.buffer_percent,
                sprints=len(mine),
                incidents=sum(r.incidents for r in mine),
                pages_out_of_hours=sum(r.pages_out_of_hours for r in mine),
                support_hours=rounded(support, 2),
                buffer_hours=rounded(buffer, 2),
                buffer_used_percent=percent(support, buffer),
                sprints_over_buffer=sum(r.over_buffer for r in mine),
            )
        )
    return summaries
