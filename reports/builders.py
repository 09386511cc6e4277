"""Compute each report: load its data with the selectors, then run its pure computation."""

import datetime
from dataclasses import dataclass, field

from ownership.models import Component, Team

from . import tables
from .fairness import DEFAULT_FLAG_FACTOR, fairness
from .load import support_load
from .metrics import incident_metrics
from .records import ReportData
from .replay import ReplayParameters, compare
from .selectors import report_data

KINDS = ("load", "fairness", "incidents", "model-comparison")


@dataclass
class ReportQuery:
    """What a caller asked for; every field is optional."""

    first_day: datetime.date | None = None
    last_day: datetime.date | None = None
    team: Team | None = None
    component: Component | None = None
    flag_factor: float = DEFAULT_FLAG_FACTOR
    replay: ReplayParameters = field(default_factory=ReplayParameters)


@dataclass
class Built:
    kind: str
    data: ReportData
    report: object
    tables: dict[str, tables.Table]

    @property
    def context(self) -> dict:
        return tables.context(self.data)


def _data(query: ReportQuery, **options) -> ReportData:
    return report_data(
        first_day=query.first_day,
        last_day=query.last_day,
        team=query.team,
        component=query.component,
        **options,
    )


def build(kind: str, query: ReportQuery, *, now=None) -> Built:
    """Return report ``kind`` (one of ``KINDS``) for ``query``."""
    if kind == "load":
        data = _data(query, whole_sprints=True, now=now)
        report = support_load(data)
        return Built(kind, data, report, tables.load_tables(report))
    if kind == "fairness":
        data = _data(query, duty=True, now=now)
        report = fairness(data, flag_factor=query.flag_factor)
        return Built(kind, data, report, tables.fairness_tables(report))
    if kind == "incidents":
        data = _data(query, now=now)
        report = incident_metrics(data)
        return Built(kind, data, report, tables.metrics_tables(report))
    if kind == "model-comparison":
        data = _data(query, whole_sprints=True, rotation=True, now=now)
        report = compare(data, query.replay)
        return Built(kind, data, report, tables.comparison_tables(report))
    raise ValueError(f"Unknown report {kind!r}; choose one of {', '.join(KINDS)}.")
