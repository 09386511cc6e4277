"""Reports as tables: the rows behind every chart, the CSV downloads and the JSON payloads.

A page, the JSON answer and the CSV file of a report all come from here, so they show the
same numbers.
"""

import csv
import dataclasses
import datetime
import io
from dataclasses import dataclass

from .fairness import FairnessReport, PersonFairness, Spread
from .load import LoadReport, TeamLoadSummary, TeamSprintLoad
from .metrics import IncidentMetricsReport, MetricGroup
from .records import ReportData
from .replay import Comparison, PersonBurden, Scenario, ScenarioSprintLoad, ScenarioTeam


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list]


def _columns(cls, skip=()) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in skip]


def _table(name, title, objects, cls, *, skip=()) -> Table:
    columns = _columns(cls, skip)
    rows = [[getattr(obj, column) for column in columns] for obj in objects]
    return Table(name, title, columns, rows)


def load_tables(report: LoadReport) -> dict[str, Table]:
    return {
        "rows": _table("rows", "Support load per team per sprint", report.rows, TeamSprintLoad),
        "teams": _table("teams", "Support load per team", report.teams, TeamLoadSummary),
    }


def fairness_tables(report: FairnessReport) -> dict[str, Table]:
    people = _table("people", "On-call duty and pages per person", report.people, PersonFairness)
    spread_columns = ["team", "team_name", "balance", *_columns(Spread)]
    spread_rows = []
    for team in report.teams:
        for item in team.spread:
            values = [getattr(item, c) for c in _columns(Spread)]
            spread_rows.append([team.team, team.team_name, team.balance, *values])
    spread = Table("spread", "Spread within each team", spread_columns, spread_rows)
    return {"people": people, "spread": spread}


def metrics_tables(report: IncidentMetricsReport) -> dict[str, Table]:
    return {"groups": _table("groups", "Incident metrics", report.groups, MetricGroup)}


def comparison_tables(result: Comparison) -> dict[str, Table]:
    scenarios = _table(
        "scenarios", "Support models side by side", result.scenarios, Scenario,
        skip=("teams", "loads", "people"),
    )  # fmt: skip
    team_columns = ["scenario", *_columns(ScenarioTeam)]
    team_rows = [
        [s.key, *(getattr(row, c) for c in _columns(ScenarioTeam))]
        for s in result.scenarios
        for row in s.teams
    ]
    sprint_columns = ["scenario", *_columns(ScenarioSprintLoad)]
    sprint_rows = [
        [s.key, *(getattr(row, c) for c in _columns(ScenarioSprintLoad))]
        for s in result.scenarios
        for row in s.loads
    ]
    people_columns = ["scenario", *_columns(PersonBurden)]
    people_rows = [
        [s.key, *(getattr(row, c) for c in _columns(PersonBurden))]
        for s in result.scenarios
        for row in s.people
    ]
    return {
        "scenarios": scenarios,
        "teams": Table("teams", "Load per team under each model", team_columns, team_rows),
        "sprints": Table(
            "sprints", "Load per team per sprint under each model", sprint_columns, sprint_rows
        ),
        "people": Table("people", "Burden per engineer under each model", people_columns,
                        people_rows),
        "decision": decision_table(result),
        "sensitivity": sensitivity_table(result),
        "assumptions": Table("assumptions", "Assumptions", ["number", "assumption"],
                             [[n, text] for n, text in enumerate(result.assumptions, 1)]),
    }  # fmt: skip


def decision_table(result: Comparison) -> Table:
    """Return the decision summary: per model its measures, scores, overall score and rank."""
    measures = [m["key"] for m in result.decision.measures] if result.decision else []
    columns = ["scenario", "label", "rank", "tied", "overall_score", *measures,
               *(f"{m}_score" for m in measures)]  # fmt: skip
    rows = []
    for row in result.decision.rows if result.decision else []:
        rows.append([
            row.scenario, row.label, row.rank, row.tied, row.overall,
            *(row.values.get(m) for m in measures), *(row.scores.get(m) for m in measures),
        ])  # fmt: skip
    rows.sort(key=lambda r: (r[2], r[0]))
    return Table("decision", "Decision summary", columns, rows)


def sensitivity_table(result: Comparison) -> Table:
    """Return one row per sensitivity line: its ranking and whether it changed."""
    columns = ["variation", "label", "ranking", "best", "changed"]
    rows = [["base", "As recorded", _ranking(result.decision.ranking), result.decision.best,
             False]] if result.decision else []  # fmt: skip
    for line in result.decision.sensitivity if result.decision else []:
        rows.append([line.key, line.label, _ranking(line.groups), line.best, line.changed])
    return Table("sensitivity", "Does the ranking hold?", columns, rows)


def _ranking(groups: list[list[str]]) -> str:
    """Return groups as text: ties joined by "=", places by " > " ("a > b=c")."""
    return " > ".join("=".join(group) for group in groups)


def cell(value):
    """Return a value as it reads in a CSV file or a table cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_text(table: Table) -> str:
    """Return the table as CSV (lists joined with semicolons, empty cells for no value)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def context(data: ReportData) -> dict:
    """Return the period, sprint calendar and filters a report was computed for."""
    return {
        "from": data.period.first_day,
        "to": data.period.last_day,
        "timezone": data.period.timezone,
        "sprint_calendar": data.cadence.name,
        "team": data.team_slug(data.team_id) or None,
        "component": (
            data.components[data.component_id].slug
            if data.component_id in data.components
            else None
        ),
        "generated_at": data.now,
    }
