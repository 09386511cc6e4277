"""What a model comparison returns: scenarios with their rows per team, sprint and person."""

from dataclasses import dataclass, field

from . import decision


@dataclass
class ScenarioTeam:
    team: str
    team_name: str
    hours: float = 0.0  # interrupt work, penalty included
    capacity_hours: float = 0.0
    share_percent: float | None = None  # lost hours over capacity
    peak_share_percent: float | None = None
    incidents: int = 0
    bugs: int = 0
    context_switches: int = 0
    pages_out_of_hours: int = 0
    kind: str = ""
    product: bool = False
    penalty_hours: float = 0.0
    estimated_hours: float = 0.0
    reserved_hours: float = 0.0
    lost_hours: float = 0.0
    people: int = 0
    oncall_hours: float = 0.0
    standby_hours_per_engineer: float | None = None
    weekend_oncall_hours: float = 0.0
    nights_on_call: int = 0
    pages: int = 0
    nights_woken: int = 0
    mttm_minutes: float | None = None


@dataclass
class ScenarioSprintLoad:
    team: str
    sprint: int
    first_day: object
    hours: float
    capacity_hours: float
    share_percent: float | None
    penalty_hours: float = 0.0
    estimated_hours: float = 0.0
    reserved_hours: float = 0.0
    lost_hours: float = 0.0
    oncall_hours: float = 0.0
    standby_hours_per_engineer: float | None = None
    weekend_oncall_hours: float = 0.0
    nights_on_call: int = 0
    pages: int = 0
    pages_out_of_hours: int = 0
    ooh_pages_per_engineer: float | None = None
    nights_woken: int = 0
    mttm_minutes: float | None = None
    context_switches: int = 0
    incidents: int = 0
    bugs: int = 0


@dataclass
class PersonBurden:
    person: str  # a username, or a seat of a virtual team ("dedicated-1")
    team: str
    oncall_hours: float = 0.0
    weekend_oncall_hours: float = 0.0
    nights_on_call: int = 0
    pages: int = 0
    pages_out_of_hours: int = 0
    nights_woken: int = 0
    interrupt_hours: float = 0.0


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
    interrupt_hours: float = 0.0
    penalty_hours: float = 0.0
    estimated_hours: float = 0.0
    reserved_hours: float = 0.0
    lost_hours: float = 0.0
    product_capacity_hours: float = 0.0
    oncall_at_once: float = 0.0
    engineers_sharing: float = 0.0  # people on call, weighted by their share of the duty
    standby_hours_per_engineer: float | None = None
    max_standby_hours_person: float = 0.0
    weekend_hours_per_engineer: float | None = None
    nights_on_call_per_engineer: float | None = None
    nights_woken_per_engineer: float | None = None
    max_nights_woken_person: int = 0
    interrupt_hours_per_engineer: float | None = None
    mttm_minutes: float | None = None
    off_rotation: int = 0
    overall_score: float | None = None
    rank: int = 0
    tied: bool = False
    teams: list[ScenarioTeam] = field(default_factory=list)
    loads: list[ScenarioSprintLoad] = field(default_factory=list)
    people: list[PersonBurden] = field(default_factory=list)


@dataclass
class Decision:
    weights: dict
    measures: list[dict]  # key, label, unit, weight
    rows: list[decision.DecisionRow]
    ranking: list[list[str]]  # scenario keys, best group first; several in a group = a tie
    best: str | None  # None when the first place is a tie, or nothing is ranked
    verdict: str | None  # None when nothing is ranked (see ``note``)
    ranking_text: str
    sensitivity: list[decision.SensitivityLine]
    # Why nothing is ranked (a component filter, nothing to replay), or what a team filter does.
    note: str | None = None


@dataclass
class Comparison:
    parameters: object  # the ReplayParameters
    assumptions: list[str]
    incidents: int
    bugs: int
    sprints: int
    scenarios: list[Scenario]
    rankings: dict[str, list[str]]
    ranking_ties: dict[str, list[list[str]]] = field(default_factory=dict)
    decision: Decision | None = None
    rotation: dict = field(default_factory=dict)
    estimated_incidents: int = 0
