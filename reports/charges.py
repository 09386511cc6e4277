"""What each replayed support model is charged, per handling team and per sprint.

:func:`items` prepares the incidents and bugs once for every scenario;
``reports.routing.replay`` routes each to the team that would have handled it and tallies the
interrupt work, the pages and the times to mitigate; :func:`charge` turns a tally
and the scenario's standby into hours per team and sprint (interrupts, penalty, reserved,
lost) under a *variation* of the assumptions (incidents scaled, another buffer, another
penalty), which is how the sensitivity lines are computed without replaying again.
"""

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from . import effort
from .records import PRODUCT, ReportData
from .routing import MINUTE, Tally
from .standby import Standby, turn
from .workcal import HOUR, WorkCalendar

INTERRUPTING = "interrupting"


@dataclass(frozen=True)
class Handler:
    """A team that can handle work in a scenario: a real team or a virtual one."""

    key: object  # a team id, or "dedicated" / "first-line"
    slug: str
    name: str
    kind: str  # product, support, operations (real teams), dedicated, first-line
    calendar: WorkCalendar
    people: tuple  # on-call turn order
    capacity: dict  # sprint number -> hours
    buffer_percent: float = 0.0
    size: float = 0.0
    working: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def product(self) -> bool:
        return self.kind == PRODUCT

    def clock(self, instant) -> tuple[bool, object]:
        """Return (in working hours?, the night it falls in or None), remembered."""
        known = self.working.get(instant)
        if known is None:
            calendar = self.calendar
            known = (calendar.is_working_time(instant), calendar.night_of(instant))
            self.working[instant] = known
        return known


class Item(NamedTuple):
    """An incident or a bug, prepared once for every scenario.

    A named tuple rather than a frozen dataclass: a comparison builds one per incident, and a
    frozen dataclass's field-by-field ``object.__setattr__`` took half a second for 50,000.
    """

    kind: str  # "incident" or "bug"
    at: datetime.datetime
    sprint: int
    week: int  # the on-call week (see reports.standby.turn)
    owner: int | None
    fallback: int | None  # the team that actually responded or fixes it
    hours: float
    respond_hours: float = 0.0
    estimated: bool = False
    interrupting: bool = False
    first_line_can_mitigate: bool = False
    parts: tuple = ()  # ((sprint number, hours), ...): where the hours were worked
    restore_minutes: float | None = None  # creation to mitigation (or resolution)


def items(data: ReportData, numbers: set) -> list[Item]:
    """Return the incidents and bugs with hours in the sprints ``numbers``, in time order."""
    default = WorkCalendar(data.cadence.timezone)
    calendars = {team.id: team.calendar for team in data.teams.values()}
    cadence = data.cadence
    found = []
    for incident in data.incidents:
        calendar = calendars.get(incident.responding_team_id, default)
        spent = effort.incident_effort(incident, calendar, data.now)
        day = cadence.day_at(incident.created_at)
        sprint = cadence.number(day)
        restored = incident.mitigated_at or incident.resolved_at
        found.append(
            Item(
                kind="incident",
                at=incident.created_at,
                sprint=sprint,
                week=turn(cadence, day),
                owner=incident.owning_team_id,
                fallback=incident.responding_team_id,
                hours=spent.hours,
                respond_hours=spent.respond_hours,
                estimated=spent.estimated,
                interrupting=incident.urgency == INTERRUPTING,
                first_line_can_mitigate=incident.mitigated_at is not None
                and incident.mitigation_kind in effort.FIRST_LINE_KINDS,
                parts=((sprint, spent.hours),),
                restore_minutes=(restored - incident.created_at).total_seconds() / MINUTE
                if restored
                else None,
            )
        )
    for bug in data.bugs:
        at = bug.investigation_started_at or bug.created_at
        calendar = calendars.get(bug.team_id, default)
        parts = effort.bug_hours_by_sprint(bug, calendar, cadence, data.now)
        parts = tuple((n, h) for n, h in parts if n in numbers)
        day = cadence.day_at(at)
        sprint = cadence.number(day)
        if not parts and sprint not in numbers:
            continue
        found.append(
            Item(
                kind="bug",
                at=at,
                sprint=sprint,
                week=turn(cadence, day),
                owner=bug.owning_team_id,
                fallback=bug.team_id,
                hours=sum(h for _, h in parts),
                estimated=bug.logged_minutes is None,
                parts=parts,
            )
        )
    found.sort(key=lambda item: (item.at, item.kind))
    return [item for item in found if item.kind == "bug" or item.sprint in numbers]


@dataclass(frozen=True)
class Variation:
    """A change to the assumptions: scale incidents, set every buffer, scale the penalties."""

    key: str = "base"
    label: str = "As recorded"
    incident_factor: float = 1.0
    buffer_percent: float | None = None
    penalty_factor: float = 1.0


@dataclass
class Charge:
    """One handler in one sprint under one variation (hours)."""

    interrupts: float = 0.0
    penalty: float = 0.0
    reserved: float = 0.0
    lost: float = 0.0
    capacity: float = 0.0


@dataclass
class Charges:
    cells: dict  # (handler key, sprint) -> Charge
    product_lost: float
    product_capacity: float
    ooh_pages: float
    context_switches: float
    mitigated: int
    mitigate_minutes: float


def charge(
    tally: Tally, duty: Standby, handlers: dict, sprints, variation: Variation, taken: dict
) -> Charges:
    """Return the hours each handler is charged per sprint under ``variation``.

    ``handlers`` are every team of the scenario by key; ``taken`` is, under the dedicated
    model, the people each product team gives the dedicated team ({team key: people}).
    A team on duty reserves its buffer for the share of the sprint it is on duty; its lost
    hours are the larger of that reserve and its interrupt work (the reserve absorbs the work,
    and work beyond it is lost too). The dedicated team's capacity, and any work beyond it,
    is lost by the product teams it was taken from, in proportion to the people they gave.
    """
    f, pf = variation.incident_factor, variation.penalty_factor
    cells = {}
    for (key, number), cell in tally.cells.items():
        if key not in handlers:
            continue
        penalty = f * cell.incident_penalty * pf + cell.bug_penalty * pf
        cells[key, number] = Charge(
            interrupts=f * cell.incident_hours + cell.bug_hours + penalty, penalty=penalty
        )
    for sprint in sprints:
        span = (sprint.end - sprint.start) / HOUR
        for key, handler in handlers.items():
            item = cells.setdefault((key, sprint.number), Charge())
            item.capacity = handler.capacity.get(sprint.number, 0.0)
            if handler.kind == "dedicated":
                item.reserved = item.capacity
            elif handler.kind != "first-line":
                buffer = handler.buffer_percent
                if variation.buffer_percent is not None:
                    buffer = variation.buffer_percent
                on_duty = min(duty.hours.get((key, sprint.number), 0.0) / span, 1.0)
                item.reserved = buffer / 100.0 * item.capacity * on_duty
            item.lost = max(item.reserved, item.interrupts)
    _charge_dedicated(cells, handlers, sprints, taken)
    product = [k for k, h in handlers.items() if h.product]
    switches = mitigated = minutes = ooh = 0.0
    for (key, _), cell in tally.cells.items():
        if key not in handlers:
            continue
        switches += f * cell.incident_switches + cell.bug_switches
        ooh += f * cell.ooh_pages
        mitigated += cell.mitigated
        minutes += cell.mitigate_minutes + pf * cell.mitigate_penalty
    return Charges(
        cells=cells,
        product_lost=sum(cells[k, s.number].lost for k in product for s in sprints),
        product_capacity=sum(cells[k, s.number].capacity for k in product for s in sprints),
        ooh_pages=ooh,
        context_switches=switches,
        mitigated=int(mitigated),
        mitigate_minutes=minutes,
    )


def _charge_dedicated(cells: dict, handlers: dict, sprints, taken: dict) -> None:
    dedicated = next((k for k, h in handlers.items() if h.kind == "dedicated"), None)
    people = sum(taken.values())
    if dedicated is None or not people:
        return
    for sprint in sprints:
        own = cells[dedicated, sprint.number]
        for key, given in taken.items():
            handler = handlers.get(key)
            if handler is None or not handler.size:
                continue
            item = cells[key, sprint.number]
            # Its own people's time (their capacity this sprint), and its part of the overflow.
            share = given * item.capacity / handler.size
            overflow = max(own.interrupts - own.capacity, 0.0) * given / people
            item.reserved += share
            item.lost += share + overflow
