"""Incident metrics: how fast incidents were acknowledged, mitigated and resolved, and by whom.

* MTTA, MTTM, MTTR: mean minutes from creation to acknowledgement, mitigation and resolution,
  over the incidents that reached that state (medians alongside: a few long incidents pull a
  mean far away from what is typical);
* ``rollback_share``: of the mitigated incidents, the percentage mitigated by a rollback;
* ``handled`` and ``bounced``: of the resolved incidents, those the responding side finished
  itself, and those that went back to the owning team as a bug (the incident was answered by
  another team or by the first line, and a bug linked to it was filed for the owning team).

Groups: all incidents, then by severity, by responding team, by component and by month (in
the time zone of the sprint calendar).
"""

from collections import defaultdict
from dataclasses import dataclass

from core.timeutil import zone

from .effort import ROLLBACK
from .records import IncidentRecord, ReportData
from .stats import mean, median, percent, rounded

DIMENSIONS = ("all", "severity", "team", "component", "month")
MINUTE = 60.0


@dataclass
class MetricGroup:
    dimension: str
    key: str
    label: str
    incidents: int
    acknowledged: int
    mitigated: int
    resolved: int
    mtta_minutes: float | None
    mtta_median_minutes: float | None
    mttm_minutes: float | None
    mttm_median_minutes: float | None
    mttr_minutes: float | None
    mttr_median_minutes: float | None
    rollbacks: int
    rollback_share: float | None
    handled: int
    bounced: int
    bounced_share: float | None


@dataclass
class IncidentMetricsReport:
    groups: list[MetricGroup]

    def by(self, dimension: str) -> list[MetricGroup]:
        return [g for g in self.groups if g.dimension == dimension]


def _minutes(incidents, field) -> list[float]:
    values = []
    for incident in incidents:
        reached = getattr(incident, field)
        if reached is not None:
            values.append(max((reached - incident.created_at).total_seconds(), 0) / MINUTE)
    return values


def _group(dimension, key, label, incidents: list[IncidentRecord]) -> MetricGroup:
    ack = _minutes(incidents, "acknowledged_at")
    mit = _minutes(incidents, "mitigated_at")
    res = _minutes(incidents, "resolved_at")
    mitigated = [i for i in incidents if i.mitigated_at is not None]
    rollbacks = sum(1 for i in mitigated if i.mitigation_kind == ROLLBACK)
    resolved = [i for i in incidents if i.resolved_at is not None]
    bounced = sum(1 for i in resolved if i.bounced)
    return MetricGroup(
        dimension=dimension,
        key=key,
        label=label,
        incidents=len(incidents),
        acknowledged=len(ack),
        mitigated=len(mit),
        resolved=len(res),
        mtta_minutes=rounded(mean(ack)),
        mtta_median_minutes=rounded(median(ack)),
        mttm_minutes=rounded(mean(mit)),
        mttm_median_minutes=rounded(median(mit)),
        mttr_minutes=rounded(mean(res)),
        mttr_median_minutes=rounded(median(res)),
        rollbacks=rollbacks,
        rollback_share=percent(rollbacks, len(mitigated)),
        handled=len(resolved) - bounced,
        bounced=bounced,
        bounced_share=percent(bounced, len(resolved)),
    )


def incident_metrics(data: ReportData) -> IncidentMetricsReport:
    """Return the metrics of the incidents in scope, overall and per group."""
    incidents = data.incidents
    if data.team_id is not None:
        incidents = [
            i for i in incidents if data.team_id in (i.responding_team_id, i.owning_team_id)
        ]
    tz = zone(data.cadence.timezone)
    buckets: dict[str, dict] = {d: defaultdict(list) for d in DIMENSIONS}
    for incident in incidents:
        buckets["all"]["all"].append(incident)
        buckets["severity"][incident.severity].append(incident)
        buckets["team"][incident.responding_team_id].append(incident)
        buckets["component"][incident.component_id].append(incident)
        buckets["month"][incident.created_at.astimezone(tz).strftime("%Y-%m")].append(incident)
    groups = [_group("all", "all", "All incidents", incidents)]
    for severity in sorted(buckets["severity"]):
        groups.append(_group("severity", severity, severity, buckets["severity"][severity]))
    teams = buckets["team"]
    for team_id in sorted(teams, key=lambda t: data.team_slug(t) or "~"):
        team = data.teams.get(team_id)
        key, label = (team.slug, team.name) if team else ("", "No responding team")
        groups.append(_group("team", key, label, teams[team_id]))
    components = buckets["component"]
    for component_id in sorted(components, key=lambda c: (-len(components[c]), c)):
        component = data.components.get(component_id)
        key = component.slug if component else str(component_id)
        label = component.name if component else key
        groups.append(_group("component", key, label, components[component_id]))
    for month in sorted(buckets["month"]):
        groups.append(_group("month", month, month, buckets["month"][month]))
    return IncidentMetricsReport(groups=groups)
