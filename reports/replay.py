"""Model comparison: replay recorded incidents and bugs under each support model.

A pure, deterministic function of the recorded data and the parameters: no randomness, no
database, the same answer every time. Every scenario is charged the same kinds of cost, per
team and per sprint (see ``reports.charges`` and ``reports.standby``):

* interrupt work: incident and bug hours, with a penalty for handling a component the team
  does not own (more hours, slower mitigation), shown separately;
* standby: on-call hours per person, nights and weekends on call, out-of-hours pages, nights
  woken;
* reserved capacity: the buffer a team on duty plans, and the dedicated team's head count
  taken from the product teams.

``assumptions`` (returned with every result) lists the rules with the numbers used; the
decision summary (``reports.decision``) weighs the measures into one ranking and says whether
it holds when incidents double, buffers change or the penalty doubles.
"""

from dataclasses import dataclass, field

from . import decision, scenarios
from .decision import DEFAULT_WEIGHTS
from .records import ReportData
from .results import (  # noqa: F401 - the result types are part of this module's interface
    Comparison,
    Decision,
    PersonBurden,
    Scenario,
    ScenarioSprintLoad,
    ScenarioTeam,
)

OWNERSHIP, DEDICATED, ROTATING = "ownership", "dedicated", "rotating"
MODELS = (OWNERSHIP, DEDICATED, ROTATING)
MODEL_LABELS = {
    OWNERSHIP: "Total ownership",
    DEDICATED: "Dedicated support team",
    ROTATING: "Rotating support team",
}
# Lower is better for every ranked measure.
RANKED = (
    "capacity_lost_percent",
    "peak_share_percent",
    "people_interrupted",
    "ooh_pages_per_person",
    "max_ooh_pages_person",
    "context_switches",
    "standby_hours_per_engineer",
    "mttm_minutes",
    "nights_woken_per_engineer",
)
DEFAULT_PENALTY_PERCENT = 25.0
DEFAULT_MITIGATION_PENALTY_PERCENT = 50.0
DEFAULT_SENSITIVITY = {"incident_factor": 2.0, "buffer_percent": 10.0, "penalty_factor": 2.0}


@dataclass(frozen=True)
class ReplayParameters:
    """What a comparison can be asked; every field has a documented default."""

    dedicated_size: int = 4
    rotation_sprints: int | None = None  # None: the configured team rotation
    first_line_size: int = 4
    models: tuple = MODELS
    first_line: tuple = (False, True)
    penalty_percent: float = DEFAULT_PENALTY_PERCENT  # more hours on components not owned
    mitigation_penalty_percent: float = DEFAULT_MITIGATION_PENALTY_PERCENT  # slower mitigation
    buffer_percent: float | None = None  # every team's buffer; None: as each team planned
    dedicated_from: tuple = ()  # ((team slug, people), ...); empty: in proportion to size
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    sensitivity: dict = field(default_factory=lambda: dict(DEFAULT_SENSITIVITY))


def compare(data: ReportData, params: ReplayParameters | None = None) -> Comparison:
    """Replay the period's incidents and bugs under every requested support model.

    ``data`` holds the incidents and bugs of whole sprints (see the selectors); the result has
    one scenario per model and first-line variant, side by side, the ranking of each measure
    (lowest first), and the decision summary.
    """
    params = params or ReplayParameters()
    world = scenarios.World(data, params)
    runs = [
        world.run(model, with_first_line, MODEL_LABELS[model])
        for model in params.models
        for with_first_line in params.first_line
    ]
    found = [run.scenario for run in runs]
    groups = {
        measure: decision.measure_groups({s.key: getattr(s, measure) for s in found})
        for measure in RANKED
    }
    result = Comparison(
        parameters=params,
        assumptions=world.assumptions(),
        incidents=sum(1 for i in world.items if i.kind == "incident"),
        bugs=sum(1 for i in world.items if i.kind == "bug"),
        sprints=len(world.sprints),
        scenarios=found,
        rankings={m: [key for group in g for key in group] for m, g in groups.items()},
        ranking_ties=groups,
        decision=_decide(runs, params, _unranked(world)),
        rotation=world.rotation_summary(),
        estimated_incidents=sum(1 for i in world.items if i.kind == "incident" and i.estimated),
    )
    for run in runs:
        world.keep_team(run.scenario)
    return result


def _unranked(world) -> str | None:
    """Return why the comparison must not rank the models, or None when it may."""
    data = world.data
    incidents = sum(1 for i in world.items if i.kind == "incident")
    bugs = len(world.items) - incidents
    reasons = []
    if data.component_id is not None:
        # Only the subtree's interrupts are replayed, yet standby and reserved capacity are
        # every team's: the totals mix two scopes, so no ranking can be drawn from them.
        component = data.components.get(data.component_id)
        name = component.name if component is not None else "one component"
        reasons.append(
            f"Filtered by component ({name}): only its incidents and bugs are replayed, while "
            "standby and reserved capacity are every team's. A ranking compares whole "
            "organisations and is shown only without the component filter; the measures "
            "below are for reading, not for choosing."
        )
    if not incidents and not bugs:
        reasons.append(
            f"Nothing to replay in this period ({incidents} incidents, {bugs} bugs): no ranking."
        )
    return " ".join(reasons) or None


def _team_note(world) -> str | None:
    data = world.data
    if data.team_id is None:
        return None
    team = data.teams.get(data.team_id)
    return (
        f"Rows for {team.name if team else 'one team'} only; the ranking compares whole "
        "organisations and stays organisation-wide."
    )


def _decide(runs, params: ReplayParameters, unranked: str | None = None) -> Decision:
    labels = {run.scenario.key: run.scenario.label for run in runs}
    base = decision.rank(
        [(r.scenario.key, r.scenario.label, r.measures()) for r in runs], params.weights
    )
    common = {
        "weights": dict(params.weights),
        "measures": [
            {"key": k, "label": label, "unit": unit.strip(), "weight": params.weights.get(k, 0)}
            for k, (label, unit, _) in decision.MEASURES.items()
        ],
    }
    if unranked:
        for row in base.rows:  # the values stay; nothing suggests an order
            row.overall, row.rank, row.tied = None, 0, False
        return Decision(
            **common, rows=base.rows, ranking=[], best=None, verdict=None, ranking_text="",
            sensitivity=[], note=unranked,
        )  # fmt: skip
    for row in base.rows:
        scenario = next(r.scenario for r in runs if r.scenario.key == row.scenario)
        scenario.overall_score, scenario.rank, scenario.tied = row.overall, row.rank, row.tied
    lines = []
    for variation in scenarios.variations(params):
        ranked = decision.rank(
            [(r.scenario.key, r.scenario.label, r.measures(variation)) for r in runs],
            params.weights,
        )
        lines.append(
            decision.SensitivityLine(
                key=variation.key,
                label=variation.label,
                groups=ranked.groups,
                best=ranked.best,
                changed=ranked.groups != base.groups,
                first_changed=ranked.groups[:1] != base.groups[:1],
                overall={row.scenario: row.overall for row in ranked.rows},
            )
        )
    return Decision(
        **common,
        rows=base.rows,
        ranking=base.groups,
        best=base.best,
        verdict=decision.verdict(base.groups, labels),
        ranking_text=decision.describe(base.groups, labels),
        sensitivity=lines,
        note=_team_note(runs[0].world) if runs else None,
    )
