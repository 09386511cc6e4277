"""Fairness per person over a period: who carried the on-call duty and the pages.

Per person (times in the person's time zone: that of their first team):

* ``oncall_hours``: hours on duty in person rotations, from the final schedule (overrides
  applied, business-hours restrictions honoured), clipped to the period; an hour on duty in
  two rotations at once counts once (see rota.intervals);
* ``double_booked_hours``: the hours in which they were on duty in two or more rotations (or
  two overlapping shifts) at once, each hour counted once however many roles overlap;
* ``shifts``: the shifts and overrides that gave them that duty;
* ``weekend_shifts`` / ``holiday_shifts``: those that touch a Saturday or Sunday / a public
  holiday of the person, with ``weekend_hours`` and ``holiday_hours`` on those days;
* ``pages`` and ``pages_out_of_hours``: pages received, and those outside working hours;
* ``nights_woken``: nights (22:00-07:00) in which they were paged at least once.

Spread per team, for each of those measures: minimum, maximum, median, mean, coefficient of
variation and Gini coefficient, over the people who *take turns*: those in a rotation (a
person rotation's participants, or the members of a team that a rotation follows) and anyone
who held duty in the period. A lead on no rotation is listed (``takes_turns`` false) but is not
a 0-hour person in the spread. The team's *balance score* is ``1 - Gini`` of on-call hours:
1 when everyone carried the same, towards 0 when one person carried it all.

A person is *flagged* for a measure when it exceeds ``flag_factor`` (default 1.5) times the
team median and reaches a floor (one hour, or two of anything counted), so a single page in a
quiet team flags nobody.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from rota.intervals import held_twice, total_hours, union

from .records import PersonInfo, ReportData
from .stats import coefficient_of_variation, gini, mean, median, rounded

MEASURES = (
    "oncall_hours",
    "weekend_shifts",
    "holiday_shifts",
    "pages_out_of_hours",
    "nights_woken",
)
FLOORS = {"oncall_hours": 1.0}
COUNT_FLOOR = 2
DEFAULT_FLAG_FACTOR = 1.5


@dataclass
class PersonFairness:
    username: str
    name: str
    teams: list[str]
    oncall_hours: float = 0.0
    double_booked_hours: float = 0.0
    shifts: int = 0
    weekend_shifts: int = 0
    holiday_shifts: int = 0
    weekend_hours: float = 0.0
    holiday_hours: float = 0.0
    pages: int = 0
    pages_out_of_hours: int = 0
    nights_woken: int = 0
    flags: list[str] = field(default_factory=list)
    takes_turns: bool = True


@dataclass
class Spread:
    measure: str
    minimum: float
    maximum: float
    median: float
    mean: float
    cv: float
    gini: float


@dataclass
class TeamFairness:
    team: str
    team_name: str
    people: list[PersonFairness]
    spread: list[Spread]
    balance: float  # 1 - Gini of on-call hours
    flagged: list[str]  # usernames


@dataclass
class FairnessReport:
    flag_factor: float
    teams: list[TeamFairness]
    people: list[PersonFairness]  # everyone in scope once, by username


def _measure(person: PersonInfo, spans, pages) -> PersonFairness:
    calendar = person.calendar
    result = PersonFairness(
        username=person.username, name=person.name, teams=[]
    )  # teams filled by the caller
    keys, weekend_keys, holiday_keys = set(), set(), set()
    for span in spans:
        keys.add(span.key)
        for day, _ in calendar.days_touched(span.start, span.end):
            if calendar.is_weekend(day):
                weekend_keys.add(span.key)
            if day in person.holidays:
                holiday_keys.add(span.key)
    # Hours per instant, not per role: two rotations at once are one hour on call, and the
    # overlap is reported on its own.
    intervals = [(span.start, span.end) for span in spans]
    for start, end in union(intervals):
        for day, hours in calendar.days_touched(start, end):
            result.oncall_hours += hours
            if calendar.is_weekend(day):
                result.weekend_hours += hours
            if day in person.holidays:
                result.holiday_hours += hours
    result.double_booked_hours = total_hours(held_twice(intervals))
    result.shifts = len(keys)
    result.weekend_shifts = len(weekend_keys)
    result.holiday_shifts = len(holiday_keys)
    nights = set()
    for page in pages:
        result.pages += 1
        if not calendar.is_working_time(page.at):
            result.pages_out_of_hours += 1
        night = calendar.night_of(page.at)
        if night is not None:
            nights.add(night)
    result.nights_woken = len(nights)
    for name in ("oncall_hours", "double_booked_hours", "weekend_hours", "holiday_hours"):
        setattr(result, name, rounded(getattr(result, name), 2))
    return result


def _spread(people: list[PersonFairness], measure: str) -> Spread:
    values = [getattr(p, measure) for p in people] or [0]
    return Spread(
        measure=measure,
        minimum=min(values),
        maximum=max(values),
        median=rounded(median(values), 2),
        mean=rounded(mean(values), 2),
        cv=rounded(coefficient_of_variation(values), 3),
        gini=rounded(gini(values), 3),
    )


def fairness(data: ReportData, *, flag_factor: float = DEFAULT_FLAG_FACTOR) -> FairnessReport:
    """Return per-person duty and pages, and their spread within each team in scope."""
    spans, pages = defaultdict(list), defaultdict(list)
    for span in data.duty:
        spans[span.user_id].append(span)
    for page in data.pages:
        pages[page.user_id].append(page)
    teams = data.teams_in_scope()
    members = defaultdict(set)
    for person in data.people.values():
        for team_id in person.team_ids:
            members[team_id].add(person.id)
    measured: dict[int, PersonFairness] = {}
    team_reports = []
    for team in teams:
        # Everyone who takes duty, and anyone else in the team who had some.
        ids = set(team.members) | {uid for uid in members[team.id] if spans[uid] or pages[uid]}
        people = []
        for uid in sorted(ids, key=lambda u: data.people[u].username):
            if uid not in measured:
                measured[uid] = _measure(data.people[uid], spans[uid], pages[uid])
                measured[uid].teams = [
                    data.teams[t].slug for t in data.people[uid].team_ids if t in data.teams
                ]
                takers = data.turn_takers
                measured[uid].takes_turns = takers is None or uid in takers or bool(spans[uid])
            people.append(measured[uid])
        team_reports.append(_team(team, people, flag_factor))
    everyone = sorted(measured.values(), key=lambda p: p.username)
    return FairnessReport(flag_factor=flag_factor, teams=team_reports, people=everyone)


def _team(team, people: list[PersonFairness], flag_factor: float) -> TeamFairness:
    takers = [p for p in people if p.takes_turns]
    spread = [_spread(takers, measure) for measure in MEASURES]
    flagged = []
    for item in spread:
        threshold = flag_factor * (item.median or 0)
        floor = FLOORS.get(item.measure, COUNT_FLOOR)
        for person in people:
            value = getattr(person, item.measure)
            if value > threshold and value >= floor:
                if item.measure not in person.flags:
                    person.flags.append(item.measure)
                if person.username not in flagged:
                    flagged.append(person.username)
    hours = [p.oncall_hours for p in takers]
    return TeamFairness(
        team=team.slug,
        team_name=team.name,
        people=people,
        spread=spread,
        balance=rounded(1 - gini(hours), 3),
        flagged=sorted(flagged),
    )
