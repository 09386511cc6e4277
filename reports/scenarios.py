"""The world a comparison is replayed in, and one run of it per support model.

:class:`World` prepares, once for every scenario, the handling teams (real teams, and the
virtual dedicated team and first line), the incidents and bugs, and who is on a rotating
shift when. :meth:`World.run` replays one scenario (``reports.charges``), computes its standby
(``reports.standby``) and returns a :class:`Run` that can be measured under any variation.
"""

from collections import defaultdict

from . import assumptions, charges, routing, rows
from .charges import Handler, Variation
from .decision import MEASURES
from .load import sprint_capacity
from .models import DEFAULT_HOURS_PER_DAY
from .records import ReportData, TeamInfo
from .results import Scenario
from .standby import standby
from .stats import percent, rounded
from .workcal import WorkCalendar

DEDICATED_KEY, FIRST_LINE_KEY = "dedicated", "first-line"
WHAT_IF_SPRINTS = 2  # the rotation length when none is configured or asked for
BASE = Variation()


def variations(params) -> list[Variation]:
    """Return the sensitivity variations asked for (their numbers in ``params.sensitivity``)."""
    found, numbers = [], params.sensitivity
    factor = numbers.get("incident_factor")
    if factor:
        label = f"If incidents were ×{factor:g}"
        found.append(Variation("incidents", label, incident_factor=factor))
    buffer = numbers.get("buffer_percent")
    if buffer is not None:
        label = f"If every buffer were {buffer:g}%"
        found.append(Variation("buffer", label, buffer_percent=buffer))
    penalty = numbers.get("penalty_factor")
    if penalty:
        label = f"If the non-owner penalty were ×{penalty:g}"
        found.append(Variation("penalty", label, penalty_factor=penalty))
    return found


class World:
    """Everything the scenarios share."""

    def __init__(self, data: ReportData, params):
        self.data, self.params, self.cadence = data, params, data.cadence
        self.sprints = self.cadence.sprints(data.period.first_day, data.period.last_day)
        self.span = (self.sprints[0].start, self.sprints[-1].end)
        self.items = charges.items(data, {s.number for s in self.sprints})
        self.rows = routing.plain(self.items)
        self.routes: dict = {}  # model -> (handler, off rotation) per item, for both variants
        self.clocks: dict = {}  # calendar -> {instant: (working?, night)}, shared by handlers
        self.teams = {t.id: self._team(t) for t in data.teams.values()}
        self.owners = sorted(
            (h for tid, h in self.teams.items() if data.teams[tid].owns_components and h.people),
            key=lambda h: (h.name, h.key),
        )
        self.taken = self._taken()
        calendar = WorkCalendar(self.cadence.timezone)
        per_person = self._per_person(calendar)
        size = sum(self.taken.values()) or params.dedicated_size
        self.dedicated = Handler(
            DEDICATED_KEY, DEDICATED_KEY, "Dedicated support team", "dedicated", calendar,
            self._seats(DEDICATED_KEY, round(size)), self._dedicated_capacity(per_person, size),
            0.0, size, self.clocks.setdefault(calendar, {}),
        )  # fmt: skip
        self.first_line = Handler(
            FIRST_LINE_KEY, FIRST_LINE_KEY, "First line", "first-line", calendar,
            self._seats(FIRST_LINE_KEY, params.first_line_size),
            {n: v * params.first_line_size for n, v in per_person.items()},
            0.0, params.first_line_size, self.clocks.setdefault(calendar, {}),
        )  # fmt: skip
        self.plan = self._rotation_plan()

    # -- handlers --------------------------------------------------------------------------

    def _team(self, team: TeamInfo) -> Handler:
        people = team.members
        takers = self.data.turn_takers
        if takers is not None and any(p in takers for p in people):
            people = tuple(p for p in people if p in takers)  # leads on no rotation take no turn
        capacity = {s.number: sprint_capacity(team, self.data, s) for s in self.sprints}
        buffer = self.params.buffer_percent
        buffer = float(team.buffer_percent if buffer is None else buffer)
        calendar = team.calendar
        return Handler(
            team.id, team.slug, team.name, team.kind, calendar, people, capacity, buffer,
            float(team.size), self.clocks.setdefault(calendar, {}),
        )  # fmt: skip

    @staticmethod
    def _seats(key: str, size: int) -> tuple:
        return tuple(f"{key}-{n + 1}" for n in range(max(size, 1)))

    def _per_person(self, calendar: WorkCalendar) -> dict:
        """Return the product teams' average hours per person in each sprint."""
        product = [h for h in self.teams.values() if h.product]
        size = sum(h.size for h in product)
        per_person = {}
        for sprint in self.sprints:
            if size:
                total = sum(h.capacity.get(sprint.number, 0.0) for h in product)
                per_person[sprint.number] = total / size
            else:  # nobody to average over: a full working day, every working day
                days = calendar.working_days(sprint.first_day, sprint.last_day)
                per_person[sprint.number] = len(days) * float(DEFAULT_HOURS_PER_DAY)
        return per_person

    def _taken(self) -> dict:
        """Return {product team key: people it gives the dedicated team}."""
        params = self.params
        if params.dedicated_from:
            by_slug = {h.slug: h.key for h in self.teams.values() if h.product}
            return {by_slug[s]: float(n) for s, n in params.dedicated_from if s in by_slug and n}
        product = [h for h in self.teams.values() if h.product and h.size]
        size = sum(h.size for h in product)
        return {h.key: params.dedicated_size * h.size / size for h in product} if size else {}

    def _dedicated_capacity(self, per_person: dict, size: float) -> dict:
        if not self.taken:
            return {n: v * size for n, v in per_person.items()}
        capacity = {}
        for sprint in self.sprints:
            capacity[sprint.number] = sum(
                given * self.teams[key].capacity.get(sprint.number, 0.0) / self.teams[key].size
                for key, given in self.taken.items()
            )
        return capacity

    # -- the rotating model ----------------------------------------------------------------

    def _rotation_plan(self) -> dict:
        """Return how the rotating scenario assigns work: the configured shifts or a what-if."""
        rotation, params = self.data.team_rotation, self.params
        start, end = self.span
        shifts = [s for s in rotation.shifts if s.end > start and s.start < end] if rotation else []
        if rotation is not None and params.rotation_sprints is None and shifts:
            spans = defaultdict(list)
            covered = []
            for shift in shifts:
                piece = (max(shift.start, start), min(shift.end, end))
                if shift.team_id in self.teams:
                    spans[shift.team_id].append(piece)
                    covered.append(piece)
            gaps = _gaps(start, end, covered)
            for owner in self.owners:  # outside any shift, the owning teams answer
                spans[owner.key].extend(gaps)
            return {"mode": "configured", "spans": dict(spans), "gaps": gaps}
        if rotation is not None:
            order = [self.teams[t] for t in rotation.participants if t in self.teams]
            anchor = self.cadence.number_at(rotation.start)
            length = params.rotation_sprints or rotation.shift_sprints or WHAT_IF_SPRINTS
            mode = "what-if" if params.rotation_sprints else "configured-no-shifts"
        else:
            order = [h for h in self.owners if h.product] or self.owners
            anchor, length = 0, params.rotation_sprints or WHAT_IF_SPRINTS
            mode = "what-if" if params.rotation_sprints else "invented"
        on_shift, spans = {}, defaultdict(list)
        for sprint in self.sprints:
            if order:
                team = order[((sprint.number - anchor) // length) % len(order)]
                on_shift[sprint.number] = team
                spans[team.key].append((sprint.start, sprint.end))
        return {
            "mode": mode, "order": order, "anchor": anchor, "length": length,
            "on_shift": on_shift, "spans": dict(spans), "gaps": [],
        }  # fmt: skip

    def rotation_summary(self) -> dict:
        plan, rotation = self.plan, self.data.team_rotation
        summary = {"mode": plan["mode"], "name": None, "policy": None}
        if rotation is not None:
            summary.update(
                name=rotation.name,
                policy=rotation.policy,
                participants=[self.data.team_slug(t) for t in rotation.participants],
                shift_length=rotation.shift_length,
            )
        if plan["mode"] != "configured":
            summary.update(
                participants=[h.slug for h in plan["order"]],
                rotation_sprints=plan["length"],
                anchor_sprint=plan["anchor"],
            )
        return summary

    def _handler_for(self, model: str):
        teams = self.teams

        def owner(item):
            return teams.get(item.owner) or teams.get(item.fallback)

        if model == "dedicated":
            return lambda item: (self.dedicated, 0)
        if model == "rotating":
            plan = self.plan
            if plan["mode"] == "configured":
                rotation = self.data.team_rotation

                def configured(item):
                    team = teams.get(rotation.team_at(item.at))
                    return (team, 0) if team is not None else (owner(item), 1)

                return configured
            on_shift = plan["on_shift"]
            return lambda item: (on_shift.get(item.sprint) or owner(item), 0)
        return lambda item: (owner(item), 0)

    def _pools(self, model: str, with_first_line: bool) -> dict:
        whole = [self.span]
        if model == "dedicated":
            pools = {DEDICATED_KEY: (self.dedicated, whole)}
        elif model == "rotating":
            pools = {key: (self.teams[key], spans) for key, spans in self.plan["spans"].items()}
        else:
            pools = {h.key: (h, whole) for h in self.owners}
        if with_first_line:
            pools[FIRST_LINE_KEY] = (self.first_line, whole)
        return pools

    # -- running a scenario ----------------------------------------------------------------

    def run(self, model: str, with_first_line: bool, label: str) -> "Run":
        """Replay one scenario: ``model`` with or without a first line."""
        scenario = Scenario(
            key=f"{model}+first-line" if with_first_line else model,
            label=label + (" with first line" if with_first_line else ""),
            model=model,
            first_line=with_first_line,
        )
        line = self.first_line if with_first_line else None
        standing = [h for h in (line, self.dedicated if model == "dedicated" else None) if h]
        routes = self.routes.get(model)
        if routes is None:  # the same for the scenario with and without a first line
            routes = self.routes[model] = list(map(self._handler_for(model), self.items))
        tally = routing.replay(self.rows, routes, line, standing, self.params)
        duty = standby(self._pools(model, with_first_line), self.cadence)
        handlers = {**self.teams, **tally.handlers}
        taken = self.taken if model == "dedicated" else {}
        run = Run(self, scenario, tally, duty, handlers, taken)
        run.summarise()
        return run

    def keep_team(self, scenario) -> None:
        """With a team filter, keep only that team's rows (the summary stays organisation-wide)."""
        if self.data.team_id is None:
            return
        slug = self.data.team_slug(self.data.team_id)
        scenario.teams = [row for row in scenario.teams if row.team == slug]
        scenario.loads = [row for row in scenario.loads if row.team == slug]
        scenario.people = [row for row in scenario.people if row.team == slug]

    def assumptions(self) -> list[str]:
        """Return the rules of the replay in words, with the numbers it used."""
        return assumptions.describe(self)


class Run:
    """One scenario replayed: its tally, standby and charges, measurable under variations."""

    def __init__(self, world: World, scenario, tally, duty, handlers: dict, taken: dict):
        self.world, self.scenario, self.tally, self.duty = world, scenario, tally, duty
        self.handlers, self.taken = handlers, taken
        self.carriers = [p for p, hours in duty.person_hours.items() if hours > 0]
        # How many people share the duty, weighted by their part of it: ten people on equal
        # turns count 10, but someone who covered a few hours of a gap does not count as a
        # whole engineer sharing the load ((sum of hours)^2 / sum of squared hours).
        hours = [duty.person_hours[p] for p in self.carriers]
        squares = sum(h * h for h in hours)
        self.sharing = sum(hours) ** 2 / squares if squares else 0.0

    def charges(self, variation: Variation = BASE):
        return charges.charge(
            self.tally, self.duty, self.handlers, self.world.sprints, variation, self.taken
        )

    def measures(self, variation: Variation = BASE) -> dict:
        """Return the decision measures ({measure: value}) under ``variation``."""
        found = self.charges(variation)
        sharing = self.sharing
        hours = sum(self.duty.person_hours[p] for p in self.carriers)
        values = {
            "capacity_lost_percent": percent(found.product_lost, found.product_capacity),
            "standby_hours_per_engineer": rounded(hours / sharing, 1) if sharing else None,
            "ooh_pages_per_person": rounded(found.ooh_pages / sharing, 2) if sharing else None,
            "mttm_minutes": rounded(found.mitigate_minutes / found.mitigated, 1)
            if found.mitigated
            else None,
            "context_switches": rounded(found.context_switches, 1),
        }
        assert set(values) == set(MEASURES)
        return values

    def summarise(self) -> None:
        rows.fill(self, self.charges(BASE), self.measures(BASE))


def _gaps(start, end, covered: list) -> list:
    """Return the spans of [start, end) that no span of ``covered`` covers."""
    gaps, at = [], start
    for s, e in sorted(covered):
        if s > at:
            gaps.append((at, s))
        at = max(at, e)
    if at < end:
        gaps.append((at, end))
    return gaps
