"""The report pages: a filter form, charts drawn as SVG, their numbers in tables, CSV links.

Each page validates its query string with the API's query serializer and builds the report
with ``reports.builders``, so a page, its JSON and its CSV download show the same numbers.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ownership.models import Component, Team

from . import charts
from . import comparison_page as comparison
from .api.serializers import (
    ComparisonQuerySerializer,
    FairnessQuerySerializer,
    IncidentsQuerySerializer,
    LoadQuerySerializer,
)
from .builders import build
from .fairness import MEASURES
from .tables import Table, cell

REPORTS = [
    ("reports-load", "Support load per sprint", "Incidents, pages, bugs and hours per team "
     "and sprint, against the capacity buffer each team planned."),
    ("reports-fairness", "Fairness of on-call duty", "Hours on call, weekend and holiday "
     "shifts, pages out of hours and nights woken, per person and across each team."),
    ("reports-incidents", "Incident metrics", "Time to acknowledge, mitigate and resolve by "
     "severity, team, component and month; rollbacks; incidents bounced to the owner."),
    ("reports-model-comparison", "Choose a support model", "Replay the recorded incidents and "
     "bugs under total ownership, a dedicated team and a rotating team, with or without a "
     "first line: capacity lost, standby per engineer, pages, time to mitigate, and one "
     "ranking weighed as you choose."),
]  # fmt: skip
API_NAMES = {
    "load": "report-load",
    "fairness": "report-fairness",
    "incidents": "report-incidents",
    "model-comparison": "report-model-comparison",
}


def _label(column: str) -> str:
    return column.replace("_", " ")


def display(table: Table, columns=None, rows=None, title=None) -> dict:
    """Return a table's header labels and cell texts for a template."""
    columns = columns or table.columns
    index = [table.columns.index(c) for c in columns]
    rows = table.rows if rows is None else rows
    return {
        "title": title or table.title,
        "labels": [_label(c) for c in columns],
        "rows": [[cell(row[i]) for i in index] for row in rows],
    }


def _csv_links(request, kind: str, tables: dict) -> dict:
    params = {k: v for k, v in request.GET.lists() if k not in ("format", "table")}
    base = reverse(API_NAMES[kind])
    links = {}
    for name in tables:
        query = urlencode({**params, "format": "csv", "table": name}, doseq=True)
        links[name] = f"{base}?{query}"
    return links


def _page(request, *, kind, serializer_class, template, decorate):
    query = serializer_class(data=request.GET)
    values = {key: request.GET.get(key, "") for key in request.GET}
    context = {
        "kind": kind,
        "values": values,
        "teams": Team.objects.order_by("name").values_list("slug", "name"),
        "components": Component.objects.order_by("name").values_list("slug", "name"),
        "errors": None,
        "defaults": comparison.defaults(values) if kind == "model-comparison" else {},
    }
    if not query.is_valid():
        context["errors"] = {
            field: " ".join(map(str, msgs)) for field, msgs in query.errors.items()
        }
        return render(request, template, context, status=400)
    built = build(kind, query.query())
    values.setdefault("from", built.data.period.first_day.isoformat())
    values.setdefault("to", built.data.period.last_day.isoformat())
    context.update(
        built=built,
        period=built.context,
        csv=_csv_links(request, kind, built.tables),
        **decorate(built),
    )
    return render(request, template, context)


@require_GET
@login_required
def index(request):
    """List the reports."""
    return render(request, "reports/index.html", {"reports": REPORTS})


LOAD_LABELS = [
    "sprint", "first day", "incidents (SEV1/2/3/4)", "pages in / out of hours", "bugs triaged",
    "timebox use %", "support hours", "buffer hours", "buffer used %",
]  # fmt: skip


def _load_row(r) -> list:
    return [
        f"S{r.sprint}", cell(r.first_day), f"{r.incidents} ({r.sev1}/{r.sev2}/{r.sev3}/{r.sev4})",
        f"{r.pages_in_hours} / {r.pages_out_of_hours}", r.bugs_triaged,
        cell(r.timebox_use_percent), r.support_hours, r.buffer_hours, cell(r.buffer_used_percent),
    ]  # fmt: skip


def _load(built) -> dict:
    report = built.report
    teams = []
    for summary in report.teams:
        rows = [r for r in report.rows if r.team == summary.team]
        teams.append(
            {
                "summary": summary,
                "chart": charts.column_chart(
                    title=f"{summary.team_name}: buffer used per sprint",
                    labels=[f"S{r.sprint}" for r in rows],
                    values=[r.buffer_used_percent for r in rows],
                    unit="%",
                    reference=100.0,
                    reference_label="100%",
                ),
                "table": {
                    "title": f"{summary.team_name}: support load per sprint",
                    "labels": LOAD_LABELS,
                    "rows": [_load_row(r) for r in rows],
                },
            }
        )
    overall = charts.bar_chart(
        title="Buffer used over the period, per team",
        labels=[t.team_name for t in report.teams],
        values=[t.buffer_used_percent for t in report.teams],
        unit="%",
        highlight={t.team_name for t in report.teams if (t.buffer_used_percent or 0) > 100},
    )
    summary = display(built.tables["teams"], [
        "team_name", "size", "buffer_percent", "incidents", "pages_out_of_hours",
        "support_hours", "buffer_hours", "buffer_used_percent", "sprints_over_buffer",
    ])  # fmt: skip
    return {
        "teams_report": teams,
        "summary": summary,
        "overall": overall,
        "sprint_range": (report.sprints[0].number, report.sprints[-1].number),
    }


def _fairness(built) -> dict:
    people = built.tables["people"]
    columns = [
        "username", "oncall_hours", "shifts", "weekend_shifts", "holiday_shifts", "pages",
        "pages_out_of_hours", "nights_woken", "flags", "takes_turns",
    ]  # fmt: skip
    teams = []
    for team in built.report.teams:
        usernames = {p.username for p in team.people}
        raw = [row for row in people.rows if row[0] in usernames]
        teams.append(
            {
                "team": team,
                "chart": charts.bar_chart(
                    title=f"{team.team_name}: hours on call per person",
                    labels=[p.username for p in team.people],
                    values=[p.oncall_hours for p in team.people],
                    unit=" h",
                    highlight=set(team.flagged),
                ),
                "table": display(people, columns, raw, title=f"{team.team_name}: duty and pages"),
                "spread": [s for s in team.spread if s.measure in MEASURES],
            }
        )
    return {"teams_report": teams}


def _incidents(built) -> dict:
    table = built.tables["groups"]
    columns = [
        "label", "incidents", "mtta_minutes", "mttm_minutes", "mttr_minutes",
        "mttr_median_minutes", "rollback_share", "handled", "bounced",
    ]  # fmt: skip
    sections = []
    for dimension, title in (
        ("all", "All incidents"),
        ("severity", "By severity"),
        ("team", "By responding team"),
        ("month", "By month"),
        ("component", "By component"),
    ):
        groups = built.report.by(dimension)
        raw = [row for row in table.rows if row[0] == dimension]
        chart = None
        if dimension in ("severity", "team"):
            chart = charts.bar_chart(
                title=f"Mean time to resolve (minutes), {title.lower()}",
                labels=[g.label for g in groups],
                values=[g.mttr_minutes for g in groups],
                unit=" min",
            )
        elif dimension in ("month", "component"):
            shown = groups[:15]
            chart = charts.bar_chart(
                title=f"Incidents, {title.lower()}",
                labels=[g.label for g in shown],
                values=[g.incidents for g in shown],
            )
        shown = display(table, columns, raw, title=f"Incident metrics {title.lower()}")
        sections.append({"title": title, "chart": chart, "table": shown})
    return {"sections": sections}


@require_GET
@login_required
def load_page(request):
    """Show support load per team per sprint against the capacity buffer."""
    return _page(
        request,
        kind="load",
        serializer_class=LoadQuerySerializer,
        template="reports/load.html",
        decorate=_load,
    )


@require_GET
@login_required
def fairness_page(request):
    """Show on-call fairness per person and the spread within each team."""
    return _page(
        request,
        kind="fairness",
        serializer_class=FairnessQuerySerializer,
        template="reports/fairness.html",
        decorate=_fairness,
    )


@require_GET
@login_required
def incidents_page(request):
    """Show MTTA, MTTM and MTTR by severity, team, month and component."""
    return _page(
        request,
        kind="incidents",
        serializer_class=IncidentsQuerySerializer,
        template="reports/incidents.html",
        decorate=_incidents,
    )


@require_GET
@login_required
def comparison_page(request):
    """Show the support models side by side, with the form for their parameters."""
    return _page(
        request,
        kind="model-comparison",
        serializer_class=ComparisonQuerySerializer,
        template="reports/comparison.html",
        decorate=comparison.decorate,
    )
