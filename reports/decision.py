"""The decision summary: weigh the measures of the support models into one ranking.

Every decision measure is "lower is better". For each measure, a model's *score* is its value
divided by the largest value among the models compared (0 when every model scores 0), so the
worst model on a measure scores 1 and a model half as bad scores 0.5. The overall score is the
weighted mean of the scores with the weights the user set (defaults: ``DEFAULT_WEIGHTS``); a
weight of 0 leaves a measure out.

Ties: two models whose overall scores differ by at most ``TIE`` tie, and a tie group is a
maximal run of the models in score order where each is within ``TIE`` of the one before it.
So no model is ever ranked below another it is within ``TIE`` of (0.685, 0.694 and 0.701 all
share first place), at the price that a group's ends may be further apart than ``TIE``. A tie
is reported as a tie, never as a winner; within a group, models are listed by score, then in
scenario order, in the table and in the sentence alike.
"""

from dataclasses import dataclass, field

from .stats import rounded

# measure -> (label, unit, default weight)
MEASURES = {
    "capacity_lost_percent": ("Product capacity lost (interrupts + reserved)", "%", 3),
    "standby_hours_per_engineer": ("On-call hours per engineer on call", " h", 2),
    "ooh_pages_per_person": ("Out-of-hours pages per engineer on call", "", 2),
    "mttm_minutes": ("Time to mitigate (mean)", " min", 2),
    "context_switches": ("Context switches (work on components not owned)", "", 1),
}
DEFAULT_WEIGHTS = {measure: float(weight) for measure, (_, _, weight) in MEASURES.items()}
TIE = 0.01  # overall scores this close are a tie
DIGITS = 3


@dataclass
class DecisionRow:
    scenario: str
    label: str
    values: dict  # measure -> value
    scores: dict  # measure -> 0..1 (1 = worst on that measure)
    overall: float | None
    rank: int
    tied: bool


@dataclass
class Ranking:
    groups: list[list[str]]  # scenario keys, best group first; a group of several is a tie
    rows: list[DecisionRow]

    @property
    def best(self) -> str | None:
        """Return the single best scenario, or None when the first place is tied."""
        return self.groups[0][0] if self.groups and len(self.groups[0]) == 1 else None


@dataclass
class SensitivityLine:
    key: str
    label: str
    groups: list[list[str]]
    best: str | None
    changed: bool  # the ranking differs from the base ranking (anywhere)
    first_changed: bool = False  # the first place (its model, or its tie) differs
    overall: dict = field(default_factory=dict)  # scenario -> overall score


def rank(rows: list[tuple[str, str, dict]], weights: dict) -> Ranking:
    """Rank ``[(key, label, {measure: value})]`` by the weighted mean of their scores."""
    worst = {}
    for measure in MEASURES:
        known = [values.get(measure) for _, _, values in rows]
        known = [v for v in known if v is not None]
        worst[measure] = max(known) if known else None
    total = sum(weights.get(m, 0.0) for m in MEASURES)
    scored = []
    for key, label, values in rows:
        scores, weighted = {}, 0.0
        for measure in MEASURES:
            value, top = values.get(measure), worst[measure]
            # A model without a value (nothing to mitigate) is as good as the best there.
            score = 0.0 if value is None or not top else value / top
            scores[measure] = rounded(score, DIGITS)
            weighted += weights.get(measure, 0.0) * score
        overall = rounded(weighted / total, DIGITS) if total else None
        scored.append(DecisionRow(key, label, dict(values), scores, overall, 0, False))
    return Ranking(groups=_group(scored), rows=scored)


def _group(rows: list[DecisionRow]) -> list[list[str]]:
    ordered = sorted(rows, key=lambda r: (r.overall is None, r.overall or 0.0))
    groups: list[list[DecisionRow]] = []
    for row in ordered:
        last = groups[-1][-1] if groups else None  # chain: within TIE of the one before
        if last is not None and _close(last.overall, row.overall):
            groups[-1].append(row)
        else:
            groups.append([row])
    place = 1
    for group in groups:
        for row in group:
            row.rank, row.tied = place, len(group) > 1
        place += len(group)
    return [[row.scenario for row in group] for group in groups]


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= TIE + 1e-9


def measure_groups(values: dict, *, digits: int = 2) -> list[list[str]]:
    """Return scenario keys grouped by one measure's value, lowest first (equal values tie)."""
    known = sorted(
        ((round(v, digits), key) for key, v in values.items() if v is not None),
        key=lambda pair: pair[0],
    )
    groups, last = [], None
    for value, key in known:
        if groups and value == last:
            groups[-1].append(key)
        else:
            groups.append([key])
        last = value
    return groups


def describe(groups: list[list[str]], labels: dict) -> str:
    """Return a ranking in words: "1. A; 2= B, C (tie)"."""
    parts, place = [], 1
    for group in groups:
        names = ", ".join(labels.get(key, key) for key in group)
        parts.append(f"{place}= {names} (tie)" if len(group) > 1 else f"{place}. {names}")
        place += len(group)
    return "; ".join(parts)


def verdict(groups: list[list[str]], labels: dict) -> str:
    """Return the first place in words, saying so when it is a tie."""
    if not groups:
        return "Nothing to compare."
    first = [labels.get(key, key) for key in groups[0]]
    if len(first) == 1:
        return f"{first[0]} ranks first with these weights."
    return f"Tie for first place: {' and '.join(first)} (overall scores within {TIE:g})."
