"""Model comparison: replay recorded incidents and bugs under each support model.

A pure, deterministic function of the recorded data and the parameters: no randomness, no
database, the same answer every time. ``ASSUMPTIONS`` (returned with every result) says how
work is assigned; see :func:`compare`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from . import effort
from .load import sprint_capacity
from .models import DEFAULT_HOURS_PER_DAY
from .records import ReportData, TeamInfo
from .stats import percent, rounded
from .workcal import WorkCalendar

OWNERSHIP, DEDICATED, ROTATING = "ownership", "dedicated", "rotating"
MODELS = (OWNERSHIP, DEDICATED, ROTATING)
MODEL_LABELS = {
    OWNERSHIP: "Total ownership",
    DEDICATED: "Dedicated support team",
    ROTATING: "Rotating support team",
}
DEDICATED_KEY, FIRST_LINE_KEY = "dedicated", "first-line"
INTERRUPTING = "interrupting"
FIRST_LINE_TRIAGE_HOURS = 0.25
WEEK = datetime.timedelta(days=7)
# Lower is better for every ranked measure.
RANKED = (
    "capacity_lost_percent",
    "peak_share_percent",
    "people_interrupted",
    "ooh_pages_per_person",
    "max_ooh_pages_person",
    "context_switches",
)


@dataclass(frozen=True)
class ReplayParameters:
    dedicated_size: int = 4
    rotation_sprints: int = 2
    first_line_size: int = 4
    models: tuple = MODELS
    first_line: tuple = (False, True)


def assumptions(params: ReplayParameters) -> list[str]:
    """Return the rules of the replay in words, with the parameters filled in."""
    return [
        "Every recorded incident and bug of the period is replayed; their times, severities, "
        "urgencies, components and recorded effort stay as they were.",
        "Effort: minutes logged on an incident or a bug where recorded; otherwise "
        f"acknowledgement to resolution (at most {effort.MAX_INCIDENT_HOURS:g} h) for an "
        "incident and the working hours of its investigation for a bug.",
        "Total ownership: the team that owned the component at the time handles the incident "
        "or bug (if nobody owned it, the team that actually responded).",
        f"Dedicated support team: a standing team of {params.dedicated_size} people handles "
        "everything; its people come out of the product teams, so its whole time counts as "
        "capacity lost to support (more if its load exceeds its capacity).",
        f"Rotating support team: the teams that own components take shifts of "
        f"{params.rotation_sprints} sprint(s) in name order, starting with the first sprint "
        "of the period; the team on shift handles everything.",
        "Inside whichever team handles an incident, people take weekly on-call turns in "
        "username order, counted from the start of the period; that person is interrupted, "
        "and paged when the incident was interrupting.",
        f"First line (the variants marked so): a rotation of {params.first_line_size} "
        "operations people is paged first. Incidents that were mitigated by rollback, restart "
        "or configuration change are mitigated by the first line (its time: from "
        "acknowledgement to mitigation) and reach the handling team as planned work without a "
        "page; others are escalated to the handling team as usual after "
        f"{FIRST_LINE_TRIAGE_HOURS * 60:g} minutes of first-line triage.",
        "Bugs are planned work: they interrupt and page nobody.",
        "Out of hours: outside Monday-Friday 09:00-17:00 in the handling team's time zone "
        "(public holidays excluded); the dedicated team and the first line work in the sprint "
        "calendar's time zone.",
        "Capacity: per sprint, the team's head count less leave and holidays, times its "
        "working hours per day; a virtual team (dedicated, first line) has the organisation's "
        "average capacity per person. The first line is an operations team outside the "
        "product teams: its hours count as support, its capacity does not count.",
        "A context switch is an incident or bug handled by a team that did not own its "
        "component at the time.",
    ]


@dataclass
class ScenarioTeam:
    team: str
    team_name: str
    hours: float = 0.0
    capacity_hours: float = 0.0
    share_percent: float | None = None
    peak_share_percent: float | None = None
    incidents: int = 0
    bugs: int = 0
    context_switches: int = 0
    pages_out_of_hours: int = 0


@dataclass
class ScenarioSprintLoad:
    team: str
    sprint: int
    first_day: datetime.date
    hours: float
    capacity_hours: float
    share_percent: float | None


@dataclass
class Scenario:
    key: str
    label: str
    model: str
    first_line: bool
    support_hours: float = 0.0
    capacity_lost_percent: float | None = None
    peak_share_percent: float | None = None
    people_interrupted: int = 0
    oncall_people: int = 0
    pages: int = 0
    pages_out_of_hours: int = 0
    ooh_pages_per_person: float | None = None
    max_ooh_pages_person: int = 0
    context_switches: int = 0
    unrouted: int = 0
    teams: list[ScenarioTeam] = field(default_factory=list)
    loads: list[ScenarioSprintLoad] = field(default_factory=list)


@dataclass
class Comparison:
    parameters: ReplayParameters
    assumptions: list[str]
    incidents: int
    bugs: int
    sprints: int
    scenarios: list[Scenario]
    rankings: dict[str, list[str]]


@dataclass(frozen=True)
class _Handler:
    key: object  # a team id, or DEDICATED_KEY / FIRST_LINE_KEY
    slug: str
    name: str
    calendar: WorkCalendar
    people: tuple  # on-call turn order
    capacity: dict  # sprint number -> hours
    reserved: bool = False  # its whole capacity is lost to support
    # instant -> in working hours?, remembered across scenarios
    working: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def is_working_time(self, instant) -> bool:
        known = self.working.get(instant)
        if known is None:
            known = self.working[instant] = self.calendar.is_working_time(instant)
        return known

    def person_at(self, week: int):
        return self.people[week % len(self.people)] if self.people else None


@dataclass(frozen=True)
class _Item:
    """An incident or a bug, prepared once for every scenario."""

    kind: str  # "incident" or "bug"
    at: datetime.datetime
    sprint: int
    week: int
    owner: int | None
    fallback: int | None  # the team that actually responded or fixes it
    hours: float
    respond_hours: float = 0.0
    interrupting: bool = False
    first_line_can_mitigate: bool = False


class _Tally:
    """What one scenario accumulates."""

    def __init__(self):
        self.hours = defaultdict(float)  # (handler key, sprint) -> hours
        self.items = defaultdict(lambda: [0, 0])  # handler key -> [incidents, bugs]
        self.switches = defaultdict(int)
        self.ooh = defaultdict(int)  # handler key -> out-of-hours pages
        self.person_ooh = defaultdict(int)
        self.interrupted = set()
        self.pages = 0
        self.unrouted = 0
        self.handlers: dict = {}

    def work(self, handler: _Handler, item: _Item, hours: float):
        self.handlers[handler.key] = handler
        self.hours[handler.key, item.sprint] += hours
        if handler.key != item.owner:
            self.switches[handler.key] += 1

    def interrupt(self, handler: _Handler, item: _Item):
        person = handler.person_at(item.week)
        if person is not None:
            self.interrupted.add(person)
        if not item.interrupting:
            return
        self.pages += 1
        if not handler.is_working_time(item.at):
            self.ooh[handler.key] += 1
            if person is not None:
                self.person_ooh[person] += 1


def _items(data: ReportData, sprints) -> list[_Item]:
    """Return the incidents and bugs that fall in the sprints, in time order."""
    anchor, numbers = sprints[0].start, {s.number for s in sprints}
    items = []
    for incident in data.incidents:
        items.append(
            _Item(
                kind="incident",
                at=incident.created_at,
                sprint=data.cadence.number_at(incident.created_at),
                week=(incident.created_at - anchor) // WEEK,
                owner=incident.owning_team_id,
                fallback=incident.responding_team_id,
                hours=effort.incident_hours(incident, data.now),
                respond_hours=effort.respond_hours(incident, data.now),
                interrupting=incident.urgency == INTERRUPTING,
                first_line_can_mitigate=incident.mitigated_at is not None
                and incident.mitigation_kind in effort.FIRST_LINE_KINDS,
            )
        )
    default_calendar = WorkCalendar(data.cadence.timezone)
    for bug in data.bugs:
        team = data.teams.get(bug.team_id)
        at = bug.investigation_started_at or bug.created_at
        items.append(
            _Item(
                kind="bug",
                at=at,
                sprint=data.cadence.number_at(at),
                week=(at - anchor) // WEEK,
                owner=bug.owning_team_id,
                fallback=bug.team_id,
                hours=effort.bug_hours(bug, team.calendar if team else default_calendar, data.now),
            )
        )
    items.sort(key=lambda item: (item.at, item.kind))
    return [item for item in items if item.sprint in numbers]


def compare(data: ReportData, params: ReplayParameters | None = None) -> Comparison:
    """Replay the period's incidents and bugs under every requested support model.

    ``data`` holds the incidents and bugs of whole sprints (see the selectors); the result
    has one scenario per model and first-line variant, side by side, and for each ranked
    measure the scenario keys from best (lowest) to worst.
    """
    params = params or ReplayParameters()
    sprints = data.cadence.sprints(data.period.first_day, data.period.last_day)
    numbers = [s.number for s in sprints]
    items = _items(data, sprints)
    teams = {team.id: _team_handler(team, data, sprints) for team in data.teams.values()}
    per_person = _capacity_per_person(data, teams, sprints)
    calendar = WorkCalendar(data.cadence.timezone)

    def virtual(key, name, size, reserved):
        people = tuple(f"{key}-{n + 1}" for n in range(size))
        capacity = {n: per_person[n] * size for n in numbers}
        return _Handler(key, key, name, calendar, people, capacity, reserved)

    dedicated = virtual(DEDICATED_KEY, "Dedicated support team", params.dedicated_size, True)
    first_line = virtual(FIRST_LINE_KEY, "First line", params.first_line_size, False)
    participants = sorted(
        (h for tid, h in teams.items() if data.teams[tid].owns_components and h.people),
        key=lambda h: (h.name, h.key),
    )
    scenarios = []
    for model in params.models:
        for with_first_line in params.first_line:
            scenario = Scenario(
                key=f"{model}+first-line" if with_first_line else model,
                label=MODEL_LABELS[model] + (" with first line" if with_first_line else ""),
                model=model,
                first_line=with_first_line,
            )

            def handler_for(item, model=model):
                if model == DEDICATED:
                    return dedicated
                if model == ROTATING:
                    if not participants:
                        return None
                    turn = (item.sprint - numbers[0]) // params.rotation_sprints
                    return participants[turn % len(participants)]
                return teams.get(item.owner) or teams.get(item.fallback)

            line = first_line if with_first_line else None
            standing = [h for h in (line, dedicated if model == DEDICATED else None) if h]
            tally = _replay(items, handler_for, line, standing)
            pool = _oncall_pool(data, sprints, handler_for, line)
            _summarise(scenario, tally, teams, sprints, pool)
            _keep_team(scenario, data)
            scenarios.append(scenario)
    return Comparison(
        parameters=params,
        assumptions=assumptions(params),
        incidents=sum(1 for i in items if i.kind == "incident"),
        bugs=sum(1 for i in items if i.kind == "bug"),
        sprints=len(sprints),
        scenarios=scenarios,
        rankings=_rankings(scenarios),
    )


def _team_handler(team: TeamInfo, data: ReportData, sprints) -> _Handler:
    capacity = {s.number: sprint_capacity(team, data, s) for s in sprints}
    return _Handler(team.id, team.slug, team.name, team.calendar, team.members, capacity)


def _capacity_per_person(data: ReportData, teams: dict, sprints) -> dict:
    """Return the organisation's average hours per person in each sprint."""
    size = sum(team.size for team in data.teams.values())
    calendar = WorkCalendar(data.cadence.timezone)
    per_person = {}
    for sprint in sprints:
        if size:
            total = sum(handler.capacity.get(sprint.number, 0.0) for handler in teams.values())
            per_person[sprint.number] = total / size
        else:  # nobody to average over: a full working day, every working day
            days = calendar.working_days(sprint.first_day, sprint.last_day)
            per_person[sprint.number] = len(days) * float(DEFAULT_HOURS_PER_DAY)
    return per_person


def _replay(items, handler_for, first_line: _Handler | None, standing: list) -> _Tally:
    tally = _Tally()
    for handler in standing:  # standing teams exist (and cost) even when nothing happens
        tally.handlers[handler.key] = handler
    for item in items:
        handler = handler_for(item)
        if handler is None:
            tally.unrouted += 1
            continue
        kind = 0 if item.kind == "incident" else 1
        tally.items[handler.key][kind] += 1
        if item.kind == "bug":
            tally.work(handler, item, item.hours)
            continue
        if first_line is None:
            tally.interrupt(handler, item)
            tally.work(handler, item, item.hours)
            continue
        tally.interrupt(first_line, item)
        if item.first_line_can_mitigate:
            tally.work(first_line, item, item.respond_hours)
            tally.work(handler, item, item.hours - item.respond_hours)
        else:
            triage = min(FIRST_LINE_TRIAGE_HOURS, item.hours)
            tally.work(first_line, item, triage)
            tally.interrupt(handler, item)
            tally.work(handler, item, item.hours)
    return tally


def _weeks(sprints) -> int:
    """Return the number of on-call weeks that start within the sprints."""
    return -(-(sprints[-1].end - sprints[0].start) // WEEK)


def _oncall_pool(data: ReportData, sprints, handler_for, first_line) -> set:
    """Return everyone who would have held an on-call week under the scenario.

    Each week, every team that owns components asks who would answer for its components:
    under ownership itself, otherwise the dedicated team or the team on shift.
    """
    anchor = sprints[0].start
    owners = sorted(t.id for t in data.teams.values() if t.owns_components) or [None]
    pool = set()
    for week in range(_weeks(sprints)):
        at = anchor + week * WEEK
        number = data.cadence.number_at(at)
        for owner in owners:
            handler = handler_for(_Item("probe", at, number, week, owner, owner, 0.0))
            person = handler.person_at(week) if handler is not None else None
            if person is not None:
                pool.add(person)
        if first_line is not None:
            pool.add(first_line.person_at(week))
    return pool


def _summarise(scenario: Scenario, tally: _Tally, teams: dict, sprints, pool: set) -> None:
    product_capacity = sum(sum(h.capacity.values()) for h in teams.values())
    lost, peak = 0.0, None
    # Every team appears in every scenario (with nothing, where it handles nothing).
    handlers = {**teams, **tally.handlers}
    for key, handler in sorted(handlers.items(), key=lambda kv: (kv[1].name, str(kv[0]))):
        row, hours, capacity = _team_row(scenario, tally, handler, sprints)
        if key != FIRST_LINE_KEY and row.peak_share_percent is not None:
            peak = max(peak or 0.0, row.peak_share_percent)
        lost += max(capacity, hours) if handler.reserved else hours
        scenario.support_hours += hours
        scenario.teams.append(row)
    scenario.support_hours = rounded(scenario.support_hours, 2)
    scenario.capacity_lost_percent = percent(lost, product_capacity)
    scenario.peak_share_percent = peak
    scenario.people_interrupted = len(tally.interrupted)
    scenario.oncall_people = len(pool)
    scenario.pages = tally.pages
    scenario.pages_out_of_hours = sum(tally.ooh.values())
    if pool:
        scenario.ooh_pages_per_person = rounded(scenario.pages_out_of_hours / len(pool), 2)
    scenario.max_ooh_pages_person = max(tally.person_ooh.values(), default=0)
    scenario.context_switches = sum(tally.switches.values())
    scenario.unrouted = tally.unrouted


def _team_row(scenario: Scenario, tally: _Tally, handler: _Handler, sprints):
    key = handler.key
    capacity = sum(handler.capacity.get(s.number, 0.0) for s in sprints)
    hours = sum(tally.hours[key, s.number] for s in sprints)
    row = ScenarioTeam(team=handler.slug, team_name=handler.name)
    row.hours, row.capacity_hours = rounded(hours, 2), rounded(capacity, 2)
    row.share_percent = percent(hours, capacity)
    row.incidents, row.bugs = tally.items[key]
    row.context_switches = tally.switches[key]
    row.pages_out_of_hours = tally.ooh[key]
    shares = []
    for sprint in sprints:
        spent = tally.hours[key, sprint.number]
        available = handler.capacity.get(sprint.number, 0.0)
        share = percent(spent, available)
        scenario.loads.append(
            ScenarioSprintLoad(
                team=handler.slug,
                sprint=sprint.number,
                first_day=sprint.first_day,
                hours=rounded(spent, 2),
                capacity_hours=rounded(available, 2),
                share_percent=share,
            )
        )
        if share is not None:
            shares.append(share)
    row.peak_share_percent = max(shares) if shares else None
    return row, hours, capacity


def _keep_team(scenario: Scenario, data: ReportData) -> None:
    """With a team filter, keep only that team's rows (the summary stays organisation-wide)."""
    if data.team_id is None:
        return
    slug = data.team_slug(data.team_id)
    scenario.teams = [row for row in scenario.teams if row.team == slug]
    scenario.loads = [row for row in scenario.loads if row.team == slug]


def _rankings(scenarios: list[Scenario]) -> dict[str, list[str]]:
    rankings = {}
    for measure in RANKED:
        known = [s for s in scenarios if getattr(s, measure) is not None]
        known.sort(key=lambda s: getattr(s, measure))
        rankings[measure] = [s.key for s in known]
    return rankings
