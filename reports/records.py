"""Plain records the report computations work on: loaded once by the selectors, then pure.

Nothing here touches the database. Instants are aware datetimes (UTC); dates are calendar
dates in the time zone named next to them.
"""

import bisect
import datetime
from dataclasses import dataclass, field
from functools import cached_property

from core.timeutil import ONE_DAY, start_of_day, zone

from .workcal import WorkCalendar

PRODUCT = "product"  # ownership.Team.Kind.PRODUCT, without importing the models here


@dataclass(frozen=True)
class Sprint:
    """One sprint: its number, its days and the half-open span of instants it covers."""

    number: int
    first_day: datetime.date
    last_day: datetime.date
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class Cadence:
    """A sprint cadence (see rota.SprintCalendar): sprint 0 starts on ``start_date``."""

    name: str
    start_date: datetime.date
    length_days: int
    timezone: str

    def number(self, day: datetime.date) -> int:
        """Return the number of the sprint that contains ``day``."""
        return (day - self.start_date).days // self.length_days

    def number_at(self, instant: datetime.datetime) -> int:
        """Return the number of the sprint in progress at ``instant``."""
        return self.number(self.day_at(instant))

    def day_at(self, instant: datetime.datetime) -> datetime.date:
        """Return the calendar's local date at ``instant``."""
        return instant.astimezone(zone(self.timezone)).date()

    def sprint(self, number: int) -> Sprint:
        """Return sprint ``number``."""
        first = self.start_date + datetime.timedelta(days=number * self.length_days)
        last = first + datetime.timedelta(days=self.length_days - 1)
        tz = zone(self.timezone)
        start, end = start_of_day(first, tz), start_of_day(last + ONE_DAY, tz)
        return Sprint(number, first, last, start, end)

    def sprints(self, first_day: datetime.date, last_day: datetime.date) -> list[Sprint]:
        """Return the sprints that overlap ``first_day``..``last_day`` (inclusive), in order."""
        return [self.sprint(n) for n in range(self.number(first_day), self.number(last_day) + 1)]


@dataclass(frozen=True)
class Period:
    """The dates a report covers (inclusive), in ``timezone``, with their span of instants."""

    first_day: datetime.date
    last_day: datetime.date
    timezone: str

    @cached_property
    def start(self) -> datetime.datetime:
        return start_of_day(self.first_day, zone(self.timezone))

    @cached_property
    def end(self) -> datetime.datetime:
        return start_of_day(self.last_day + ONE_DAY, zone(self.timezone))

    def contains(self, instant: datetime.datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end


@dataclass(frozen=True)
class TeamInfo:
    id: int
    slug: str
    name: str
    timezone: str
    members: tuple[int, ...]  # people who take duty (engineers and leads), in username order
    size: int  # head count to plan capacity with
    buffer_percent: int
    hours_per_day: int
    holidays: frozenset = frozenset()  # the team's public holidays (dates)
    owns_components: bool = True
    kind: str = PRODUCT  # ownership.Team.Kind: product, support or operations

    @property
    def is_product(self) -> bool:
        """Return whether the team's time counts as product capacity."""
        return self.kind == PRODUCT

    @property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar(self.timezone, self.holidays)


@dataclass(frozen=True)
class PersonInfo:
    id: int
    username: str
    name: str
    team_ids: tuple[int, ...]  # first: the team whose time zone and holidays apply
    timezone: str
    holidays: frozenset = frozenset()  # the team's and the person's own public holidays
    leave: tuple = ()  # (first day, last day) pairs, inclusive

    @property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar(self.timezone, self.holidays)

    def on_leave(self, day: datetime.date) -> bool:
        return any(first <= day <= last for first, last in self.leave)


@dataclass(frozen=True)
class ComponentInfo:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    created_at: datetime.datetime
    severity: str
    urgency: str
    component_id: int
    owning_team_id: int | None
    responding_team_id: int | None
    responder_id: int | None = None
    acknowledged_at: datetime.datetime | None = None
    mitigated_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    mitigation_kind: str = ""
    logged_minutes: int | None = None
    first_line_user_id: int | None = None
    mitigated_by_id: int | None = None
    # A bug for the owning team came out of it while another team (or the first line) responded.
    bounced: bool = False

    @classmethod
    def from_row(cls, row) -> "IncidentRecord":
        """Return the record of ``row``: every field's value, in the fields' order.

        The same record as ``IncidentRecord(*row)``, without the frozen ``__init__``'s
        ``object.__setattr__`` per field: a comparison loads 50,000 of them, and that took
        a fifth of a second.
        """
        record = object.__new__(cls)
        record.__dict__.update(zip(_INCIDENT_FIELDS, row, strict=True))
        return record


_INCIDENT_FIELDS = tuple(IncidentRecord.__dataclass_fields__)


@dataclass(frozen=True)
class BugRecord:
    id: int
    created_at: datetime.datetime
    team_id: int | None  # the team that fixes it
    component_id: int
    owning_team_id: int | None  # owner of the component when the bug was filed
    incident_id: int | None = None
    timebox_days: int = 1
    investigation_started_at: datetime.datetime | None = None
    investigation_finished_at: datetime.datetime | None = None
    timebox_ends_at: datetime.datetime | None = None
    outcome: str = ""
    logged_minutes: int | None = None


@dataclass(frozen=True)
class PageRecord:
    """A person paged about an incident (once per escalation step, whatever the channels)."""

    incident_id: int
    user_id: int
    at: datetime.datetime
    step: str = "primary"
    responding_team_id: int | None = None  # of the incident


@dataclass(frozen=True)
class DutySpan:
    """A person on duty for a person rotation (overrides applied) within the report's period."""

    user_id: int
    rotation_id: int
    start: datetime.datetime
    end: datetime.datetime
    key: str  # the shift or override it comes from: "shift:12", "override:3"


@dataclass(frozen=True)
class TeamShift:
    """A team on shift in a team rotation (final schedule: overrides applied)."""

    team_id: int
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class TeamRotationInfo:
    """The team rotation of the organisation's rotating support policy, as configured."""

    id: int
    name: str
    policy: str  # the support policy's name
    participants: tuple[int, ...]  # team ids in turn order
    shift_sprints: int | None  # the shift length when it is measured in sprints
    shift_length: str  # in words: "2 sprints", "1 weeks"
    start: datetime.datetime  # the first handoff
    shifts: tuple[TeamShift, ...] = ()  # within the report's period, in time order

    @cached_property
    def _starts(self) -> list:
        return [shift.start for shift in self.shifts]

    def team_at(self, instant: datetime.datetime) -> int | None:
        """Return the team on shift at ``instant`` (None in a gap)."""
        index = bisect.bisect_right(self._starts, instant) - 1
        if index >= 0 and instant < self.shifts[index].end:
            return self.shifts[index].team_id
        return None


@dataclass
class ReportData:
    """Everything a report needs, loaded in a fixed number of queries."""

    cadence: Cadence
    period: Period
    now: datetime.datetime
    teams: dict[int, TeamInfo] = field(default_factory=dict)
    people: dict[int, PersonInfo] = field(default_factory=dict)
    components: dict[int, ComponentInfo] = field(default_factory=dict)
    incidents: list[IncidentRecord] = field(default_factory=list)
    bugs: list[BugRecord] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)
    duty: list[DutySpan] = field(default_factory=list)
    team_rotation: TeamRotationInfo | None = None  # for the model comparison
    # People who take turns in a rotation (None: not loaded; take every engineer and lead).
    turn_takers: frozenset | None = None
    team_id: int | None = None  # the team filter, if any
    component_id: int | None = None  # the component filter, if any

    def teams_in_scope(self) -> list[TeamInfo]:
        """Return the filtered team, or every team, by name."""
        if self.team_id is not None:
            return [self.teams[self.team_id]] if self.team_id in self.teams else []
        return sorted(self.teams.values(), key=lambda t: (t.name, t.id))

    def team_slug(self, team_id: int | None) -> str:
        team = self.teams.get(team_id)
        return team.slug if team is not None else ""

    def home_team(self, user_id: int, prefer: int | None = None) -> int | None:
        """Return the team a person works for here: ``prefer`` if they belong to it."""
        person = self.people.get(user_id)
        if person is None or not person.team_ids:
            return None
        return prefer if prefer in person.team_ids else person.team_ids[0]
