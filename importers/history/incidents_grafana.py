"""Grafana OnCall alert group history, from the JSON of its public API.

The file is the body of ``GET /api/v1/alert_groups/`` (``{"count", "next", "results": [...]}``),
several such pages in a JSON list, or a plain list of alert groups. Per alert group: ``id``,
``title``, ``state`` (new, acknowledged, silenced, resolved), ``created_at``,
``acknowledged_at``, ``resolved_at``, ``silenced_at``, ``integration_id``, ``route_id``,
``team_id``, ``permalinks`` and, where the stack has them, ``labels``.

Alert groups carry no priority: the severity is that of a ``severity`` label (README table),
else SEV3. The service is the value of a ``service`` label, else the ``integration_id``
(map integration ids to components in the mapping file).
"""

from __future__ import annotations

from collections.abc import Iterator

from importers.base import ImportRefused, ImportReport, Problem, Progress
from importers.registry import register
from incidents.models import Incident, Severity

from .incidents import (
    SourceIncident,
    Unreadable,
    incidents_import,
    parse_time,
    read_json,
    severity_for_priority,
    unmapped_services,
)

NAME = "grafana-oncall-alert-groups"
LABEL_SEVERITY = {
    "critical": Severity.SEV1,
    "high": Severity.SEV2,
    "major": Severity.SEV2,
    "error": Severity.SEV2,
    "warning": Severity.SEV3,
    "medium": Severity.SEV3,
    "minor": Severity.SEV3,
    "low": Severity.SEV4,
    "info": Severity.SEV4,
}
STATES = ("new", "acknowledged", "silenced", "resolved")


def _groups(document) -> list[tuple[str, object]]:
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return [(f"results[{i}]", group) for i, group in enumerate(document["results"])]
    if isinstance(document, list):
        if document and all(isinstance(p, dict) and "results" in p for p in document):
            return [
                (f"[{p}].{path}", group)
                for p, page in enumerate(document)
                for path, group in _groups(page)
            ]
        return [(f"[{i}]", group) for i, group in enumerate(document)]
    raise ImportRefused(
        'expected the alert groups API\'s JSON: {"results": [alert group, ...]} or a list'
    )


def _labels(group: dict) -> dict[str, str]:
    """Return the group's labels as {key: value}: ``[{"key": {"name"}, "value": {"name"}}]``."""
    labels = {}
    for label in group.get("labels") or ():
        if isinstance(label, dict):
            key, value = label.get("key"), label.get("value")
            key = key.get("name") if isinstance(key, dict) else key
            value = value.get("name") if isinstance(value, dict) else value
            if isinstance(key, str) and isinstance(value, str):
                labels[key.strip().lower()] = value.strip()
    return labels


def _incident(group, where: str) -> SourceIncident:
    if not isinstance(group, dict):
        raise Unreadable("not an alert group object")
    source_id = str(group.get("id") or "").strip()
    if not source_id:
        raise Unreadable("id is missing")
    created = parse_time(group.get("created_at"), "created_at")
    if created is None:
        raise Unreadable("no created time (created_at is missing)")
    state = str(group.get("state") or "")
    if state not in STATES:
        raise Unreadable(f'state "{state}" is none of {", ".join(STATES)}')
    acknowledged = parse_time(group.get("acknowledged_at"), "acknowledged_at")
    if acknowledged is None:
        # Silencing is the responder's answer to the page: it counts as the acknowledgement,
        # whatever state the group reached since (resolved after a silence, say).
        acknowledged = parse_time(group.get("silenced_at"), "silenced_at")
    resolved = parse_time(group.get("resolved_at"), "resolved_at")
    labels = _labels(group)
    severity = Severity.SEV3
    if "severity" in labels:
        name = labels["severity"]
        severity = LABEL_SEVERITY.get(name.lower()) or severity_for_priority(name)
        if severity is None:
            raise Unreadable(f'severity label "{name}" is none of {", ".join(LABEL_SEVERITY)}')
    service = labels.get("service") or str(group.get("integration_id") or "").strip()
    if not service:
        raise Unreadable("no service: no service label and no integration_id")
    links = group.get("permalinks") or {}
    link = links.get("web") or next(iter(links.values()), "") if isinstance(links, dict) else ""
    return SourceIncident(
        where=f'{where} (id "{source_id}")',
        source_id=source_id,
        title=str(group.get("title") or ""),
        service=service,
        created_at=created,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        severity=severity,
        urgency="",
        status=Incident.Status.RESOLVED if state == "resolved" else "",
        link=str(link or ""),
    )


def parse(data: bytes) -> Iterator[SourceIncident | Problem]:
    """Yield one ``SourceIncident`` per alert group, or a ``Problem`` naming its JSON path."""
    for where, group in _groups(read_json(data)):
        try:
            yield _incident(group, where)
        except Unreadable as error:
            gid = group.get("id") if isinstance(group, dict) else None
            yield Problem(f'{where} (id "{gid}")' if gid else where, str(error))


@register(
    NAME,
    label="Grafana OnCall alert groups (history)",
    kind="history",
    file_hint="Grafana OnCall alert groups JSON (GET /api/v1/alert_groups/, pages in a list)",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import Grafana OnCall alert groups as incident history; see the module docstring."""
    incidents_import(
        parse(data),
        source=Incident.Source.GRAFANA_ONCALL,
        kind_label="Grafana OnCall alert group",
        options=options,
        report=report,
        progress=progress,
        total=len(_groups(read_json(data))),
    )


def services(data: bytes, mapping: dict) -> list[str]:
    """Return the services of the file that ``mapping`` and the catalog leave unmapped."""
    return unmapped_services(parse, data, mapping)


run.unmapped_services = services
