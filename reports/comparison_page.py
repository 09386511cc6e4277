"""What the model comparison page shows: the decision summary first, then the evidence.

Every chart has its numbers in a table beside it; the tables come from the comparison's own
rows, so the page, the JSON and the CSV say the same thing.
"""

from . import charts
from .api.serializers import FIRST_LINE_CHOICES, SENSITIVITY, WEIGHTS
from .decision import DIGITS, MEASURES, describe
from .replay import MODEL_LABELS, RANKED, ReplayParameters
from .tables import cell

MEASURE_LABELS = {
    **{key: (label, unit) for key, (label, unit, _) in MEASURES.items()},
    "peak_share_percent": ("Worst product team sprint: share of capacity lost", "%"),
    "people_interrupted": ("People interrupted", ""),
    "max_ooh_pages_person": ("Most out-of-hours pages of one person", ""),
    "nights_woken_per_engineer": ("Nights woken per engineer on call", ""),
}
BURDEN = [
    ("oncall_people", "people on call"),
    ("engineers_sharing", "engineers sharing (weighted)"),
    ("oncall_at_once", "on call at once"),
    ("standby_hours_per_engineer", "on-call h / engineer"),
    ("max_standby_hours_person", "most on-call h (one person)"),
    ("nights_on_call_per_engineer", "nights on call / engineer"),
    ("weekend_hours_per_engineer", "weekend h on call / engineer"),
    ("ooh_pages_per_person", "out-of-hours pages / engineer"),
    ("nights_woken_per_engineer", "nights woken / engineer"),
    ("interrupt_hours_per_engineer", "interrupt h / engineer"),
]
SPRINT_LABELS = [
    "team", "sprint", "first day", "interrupt h", "of which penalty", "of which estimated",
    "reserved h", "capacity lost h", "lost %", "on-call h / engineer", "out-of-hours pages",
    "nights woken", "time to mitigate (min)", "context switches",
]  # fmt: skip
PEOPLE_SHOWN = 12
SHORT = {
    "capacity_lost_percent": "capacity lost",
    "standby_hours_per_engineer": "on-call h / engineer",
    "ooh_pages_per_person": "out-of-hours pages / engineer",
    "mttm_minutes": "time to mitigate",
    "context_switches": "context switches",
}


def _unit(value, unit: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else f"{cell(value)}{unit}"


def _best(groups: list[list[str]], labels: dict) -> str:
    """Return "Best: X", or "Tied best: X, Y" when several share the first place."""
    if not groups:
        return ""
    names = ", ".join(labels[key] for key in groups[0])
    return f"Tied best: {names}" if len(groups[0]) > 1 else f"Best: {names}"


def _in_rank_order(summary) -> list:
    """Return the decision rows in the order of the ranking sentence (ties included)."""
    order = [key for group in summary.ranking for key in group]
    if not order:
        return sorted(summary.rows, key=lambda r: r.label)
    return sorted(summary.rows, key=lambda r: order.index(r.scenario))


def _decision(result, labels: dict) -> dict:
    summary = result.decision
    measures = summary.measures
    rows = []
    ranked = bool(summary.ranking)
    ordered = _in_rank_order(summary)
    for row in ordered:
        rank = "–" if not ranked else f"{row.rank}=" if row.tied else str(row.rank)
        rows.append(
            [rank, row.label, cell(row.overall)]
            + [_unit(row.values.get(m["key"]), MEASURES[m["key"]][1]) for m in measures]
        )
    lines = [
        {
            "label": line.label,
            "ranking": describe(line.groups, labels),
            "changed": line.changed,
            "first_changed": line.first_changed,
            "order_changed": line.changed and not line.first_changed,
        }
        for line in summary.sensitivity
    ]
    return {
        "ranked": ranked,
        "note": summary.note,
        "verdict": summary.verdict,
        "ranking": summary.ranking_text,
        "tie": summary.best is None,
        "table": {
            "title": "Decision summary (lower is better; = marks a tie)",
            "labels": ["rank", "model", "overall score"]
            + [f"{SHORT[m['key']]} (weight {m['weight']:g})" for m in measures],
            "rows": rows,
        },
        "chart": charts.bar_chart(
            title="Overall score with these weights (lower is better)",
            labels=[labels[r.scenario] for r in ordered],
            values=[r.overall for r in ordered],
            digits=DIGITS,
            highlight={labels[key] for key in summary.ranking[0]} if summary.ranking else set(),
            label_width=250,
        ),
        "sensitivity": lines,
        "robust": not any(line.first_changed for line in summary.sensitivity),
    }


def _measures(result, labels: dict) -> list[dict]:
    names = [s.label for s in result.scenarios]
    found = []
    for measure in RANKED:
        title, unit = MEASURE_LABELS[measure]
        values = [getattr(s, measure) for s in result.scenarios]
        found.append(
            {
                "title": title,
                "best": _best(result.ranking_ties.get(measure, []), labels),
                "table": {
                    "title": title,
                    "labels": ["model", title],
                    "rows": [[n, cell(v)] for n, v in zip(names, values, strict=True)],
                },
                "chart": charts.bar_chart(
                    title=title, labels=names, values=values, unit=unit, label_width=250
                ),
            }
        )
    return found


def _burden(result) -> dict:
    names = [s.label for s in result.scenarios]
    people = []
    for scenario in result.scenarios:
        shown = scenario.people[:PEOPLE_SHOWN]
        people.append(
            {
                "label": scenario.label,
                "more": max(len(scenario.people) - PEOPLE_SHOWN, 0),
                "table": {
                    "title": f"{scenario.label}: the people who carry it (heaviest first)",
                    "labels": ["person", "team", "on-call h", "weekend h", "nights on call",
                               "pages", "out-of-hours pages", "nights woken", "interrupt h"],
                    "rows": [[p.person, p.team, p.oncall_hours, p.weekend_oncall_hours,
                              p.nights_on_call, p.pages, p.pages_out_of_hours, p.nights_woken,
                              p.interrupt_hours] for p in shown],
                },
            }
        )  # fmt: skip
    return {
        "chart": charts.bar_chart(
            title="On-call hours per engineer on call",
            labels=names,
            values=[s.standby_hours_per_engineer for s in result.scenarios],
            unit=" h",
            label_width=250,
        ),
        "max_chart": charts.bar_chart(
            title="Most on-call hours carried by one person",
            labels=names,
            values=[s.max_standby_hours_person for s in result.scenarios],
            unit=" h",
            label_width=250,
        ),
        "table": {
            "title": "Burden per engineer under each model",
            "labels": ["model", *(label for _, label in BURDEN)],
            "rows": [
                [s.label, *(cell(getattr(s, k)) for k, _ in BURDEN)] for s in result.scenarios
            ],
        },
        "people": people,
    }


def _teams(result) -> dict:
    names = [s.label for s in result.scenarios]
    teams = sorted(
        {
            (row.team_name, row.team): row.product for s in result.scenarios for row in s.teams
        }.items()
    )
    by = {(s.key, row.team): row for s in result.scenarios for row in s.teams}
    rows = []
    for (name, slug), product in teams:
        values = []
        for s in result.scenarios:
            row = by.get((s.key, slug))
            values.append(
                "" if row is None else f"{cell(row.share_percent)}% ({cell(row.lost_hours)} h)"
            )
        rows.append([name + ("" if product else " (not product)"), *values])
    return {"labels": ["team", *names], "rows": rows}


def _sprints(result) -> list[dict]:
    found = []
    for scenario in result.scenarios:
        rows = [
            [load.team, f"S{load.sprint}", cell(load.first_day), load.hours, load.penalty_hours,
             load.estimated_hours, load.reserved_hours, load.lost_hours, cell(load.share_percent),
             cell(load.standby_hours_per_engineer), load.pages_out_of_hours, load.nights_woken,
             cell(load.mttm_minutes), load.context_switches]
            for load in scenario.loads
        ]  # fmt: skip
        found.append(
            {
                "label": scenario.label,
                "table": {
                    "title": f"{scenario.label}: per team and sprint",
                    "labels": SPRINT_LABELS,
                    "rows": rows,
                },
            }
        )
    return found


def decorate(built) -> dict:
    """Return the template context of the comparison page for a built comparison."""
    result = built.report
    labels = {s.key: s.label for s in result.scenarios}
    return {
        "decision": _decision(result, labels) if result.scenarios else None,
        "measures": _measures(result, labels),
        "burden": _burden(result),
        "matrix": _teams(result),
        "sprint_tables": _sprints(result),
        "parameters": result.parameters,
        "rotation": result.rotation,
        "estimated": result.estimated_incidents,
    }


def defaults(values: dict) -> dict:
    """Return the defaults of the comparison form (the weights as asked, else by default)."""
    params = ReplayParameters()
    return {
        "dedicated_size": params.dedicated_size,
        "first_line_size": params.first_line_size,
        "first_line_choices": list(FIRST_LINE_CHOICES),
        "models": MODEL_LABELS,
        "penalty_percent": f"{params.penalty_percent:g}",
        "mitigation_penalty_percent": f"{params.mitigation_penalty_percent:g}",
        "weights": [
            (name, MEASURES[measure][0], values.get(name) or f"{params.weights[measure]:g}")
            for name, measure in WEIGHTS.items()
        ],
        "sensitivity": {name: f"{params.sensitivity[key]:g}" for name, key in SENSITIVITY.items()},
    }
