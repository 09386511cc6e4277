"""The reports under /api/v1/reports/: JSON by default, one table as CSV with ``?format=csv``.

Each view validates the query with a serializer, builds the report (``reports.builders``) and
returns it; the JSON and the CSV come from the same tables.
"""

import dataclasses

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from ..builders import Built, build
from .renderers import CSVRenderer
from .serializers import (
    ComparisonQuerySerializer,
    FairnessQuerySerializer,
    IncidentsQuerySerializer,
    LoadQuerySerializer,
)

FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="`csv` answers one table as text/csv."
)


def _plain(value):
    """Return ``value`` as ``dataclasses.asdict`` would (dataclasses to dicts, containers
    rebuilt), without its deep copy of every leaf: the comparison has some 60,000 of them and
    the payload is rendered at once, never changed."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_plain(v) for v in value])
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    return value


def _payload(built: Built) -> dict:
    payload = dict(built.context)
    report = built.report
    if built.kind == "load":
        payload["sprints"] = [
            {"number": s.number, "first_day": s.first_day, "last_day": s.last_day}
            for s in report.sprints
        ]
        payload["teams"] = [dataclasses.asdict(t) for t in report.teams]
        payload["rows"] = [dataclasses.asdict(r) for r in report.rows]
    elif built.kind == "fairness":
        payload["flag_factor"] = report.flag_factor
        payload["teams"] = [
            {
                "team": t.team,
                "team_name": t.team_name,
                "balance": t.balance,
                "flagged": t.flagged,
                "people": [p.username for p in t.people],
                "spread": [dataclasses.asdict(s) for s in t.spread],
            }
            for t in report.teams
        ]
        payload["people"] = [dataclasses.asdict(p) for p in report.people]
    elif built.kind == "incidents":
        groups = [dataclasses.asdict(g) for g in report.groups]
        payload["summary"] = groups[0]
        for dimension in ("severity", "team", "component", "month"):
            payload[f"by_{dimension}"] = [g for g in groups if g["dimension"] == dimension]
    else:
        payload.update(
            parameters=dataclasses.asdict(report.parameters),
            assumptions=report.assumptions,
            incidents=report.incidents,
            bugs=report.bugs,
            sprints=report.sprints,
            rankings=report.rankings,
            ranking_ties=report.ranking_ties,
            estimated_incidents=report.estimated_incidents,
            rotation=report.rotation,
            decision=_plain(report.decision),
            scenarios=[_plain(s) for s in report.scenarios],
        )
    return payload


class ReportView(APIView):
    """Answer one report as JSON, or one of its tables as CSV."""

    kind = ""
    query_serializer = LoadQuerySerializer
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        built = build(self.kind, query.query())
        if request.accepted_renderer.format == CSVRenderer.format:
            context = built.context
            name = f"rota-{self.kind}-{query.table}-{context['from']}-{context['to']}.csv"
            return Response(
                built.tables[query.table],
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return Response(_payload(built))

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # Errors are JSON with a message per field, even when a CSV file was asked for.
        renderer = getattr(self.request, "accepted_renderer", None)
        if renderer is not None and renderer.format == CSVRenderer.format:
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response


def _schema(serializer, summary):
    return extend_schema(
        summary=summary,
        parameters=[serializer, FORMAT],
        responses={200: OpenApiTypes.OBJECT},
    )


class LoadReportView(ReportView):
    """Support load per team per sprint against each team's capacity buffer."""

    kind = "load"
    query_serializer = LoadQuerySerializer

    @_schema(LoadQuerySerializer, "Support load per team per sprint")
    def get(self, request):
        return super().get(request)


class FairnessReportView(ReportView):
    """On-call hours, weekend and holiday shifts, pages and nights woken per person."""

    kind = "fairness"
    query_serializer = FairnessQuerySerializer

    @_schema(FairnessQuerySerializer, "Fairness of on-call duty per person")
    def get(self, request):
        return super().get(request)


class IncidentsReportView(ReportView):
    """MTTA, MTTM and MTTR by severity, team, component and month."""

    kind = "incidents"
    query_serializer = IncidentsQuerySerializer

    @_schema(IncidentsQuerySerializer, "Incident metrics")
    def get(self, request):
        return super().get(request)


class ModelComparisonView(ReportView):
    """Replay the period's incidents and bugs under each support model."""

    kind = "model-comparison"
    query_serializer = ComparisonQuerySerializer

    @_schema(ComparisonQuerySerializer, "Support models compared on recorded incidents and bugs")
    def get(self, request):
        return super().get(request)
