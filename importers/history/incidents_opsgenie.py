"""Opsgenie alert history, from the JSON of the Alert API (List Alerts or Get Alert).

The file is the body of ``GET /v2/alerts`` (``{"data": [alert, ...]}``), several such pages
in a JSON list, a plain list of alerts, or one ``GET /v2/alerts/{id}`` body
(``{"data": alert}``). Per alert: ``id``, ``tinyId``, ``message``, ``status`` (open, closed),
``acknowledged``, ``createdAt``, ``updatedAt``, ``priority`` (P1-P5), ``tags``, ``entity``,
``source`` and ``report.ackTime`` / ``report.closeTime`` (milliseconds after ``createdAt``).
The service is the value of a ``service:NAME`` tag, else ``entity``, else ``source``.
"""

from __future__ import annotations

from collections.abc import Iterator

from importers.base import ImportRefused, ImportReport, Problem, Progress
from importers.registry import register
from incidents.models import Incident

from .incidents import (
    SourceIncident,
    Unreadable,
    after,
    incidents_import,
    parse_time,
    read_json,
    severity_for_priority,
    unmapped_services,
)

NAME = "opsgenie-alerts"
DEFAULT_PRIORITY = "P3"  # Opsgenie's own default


def _alerts(document) -> list[tuple[str, object]]:
    """Return (JSON path, alert) pairs of every alert in the document."""
    if isinstance(document, dict) and "data" in document:
        data = document["data"]
        if isinstance(data, dict):
            return [("data", data)]
        if isinstance(data, list):
            return [(f"data[{i}]", alert) for i, alert in enumerate(data)]
    if isinstance(document, list):
        if all(isinstance(page, dict) and "data" in page for page in document) and document:
            return [
                (f"[{p}].{path}", alert)
                for p, page in enumerate(document)
                for path, alert in _alerts(page)
            ]
        return [(f"[{i}]", alert) for i, alert in enumerate(document)]
    raise ImportRefused(
        'expected the Alert API\'s JSON: {"data": [alert, ...]} or a list of alerts'
    )


def _service(alert: dict) -> str:
    for tag in alert.get("tags") or ():
        if isinstance(tag, str) and tag.lower().startswith("service:"):
            return tag.split(":", 1)[1].strip()
    for field in ("entity", "source"):
        value = alert.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise Unreadable("no service: no service:NAME tag, entity or source")


def _incident(alert, where: str) -> SourceIncident:
    if not isinstance(alert, dict):
        raise Unreadable("not an alert object")
    source_id = str(alert.get("id") or "").strip()
    if not source_id:
        raise Unreadable("id is missing")
    created = parse_time(alert.get("createdAt"), "createdAt")
    if created is None:
        raise Unreadable("no created time (createdAt is missing)")
    report = alert.get("report") or {}
    if not isinstance(report, dict):
        raise Unreadable("report is not an object")
    acknowledged = after(created, report.get("ackTime"), "report.ackTime")
    if acknowledged is None and alert.get("acknowledged"):
        raise Unreadable("acknowledged but report.ackTime is missing")
    status = str(alert.get("status") or "").lower()
    if status not in ("open", "closed"):
        raise Unreadable(f'status "{alert.get("status")}" is neither open nor closed')
    resolved = None
    if status == "closed":
        # An alert closed before Opsgenie reported close times: its last update closed it.
        resolved = after(created, report.get("closeTime"), "report.closeTime")
        resolved = resolved or parse_time(alert.get("updatedAt"), "updatedAt")
    priority = str(alert.get("priority") or DEFAULT_PRIORITY)
    severity = severity_for_priority(priority)
    if severity is None:
        raise Unreadable(f'priority "{priority}" is none of P1-P5')
    tiny = alert.get("tinyId")
    return SourceIncident(
        where=f"{where} (tinyId {tiny})" if tiny else f'{where} (id "{source_id}")',
        number=str(tiny or ""),
        source_id=source_id,
        title=str(alert.get("message") or ""),
        description=str(alert.get("description") or ""),
        service=_service(alert),
        created_at=created,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        severity=severity,
        urgency="",
        status=Incident.Status.RESOLVED if status == "closed" else "",
    )


def parse(data: bytes) -> Iterator[SourceIncident | Problem]:
    """Yield one ``SourceIncident`` per alert, or a ``Problem`` naming its JSON path."""
    for where, alert in _alerts(read_json(data)):
        try:
            yield _incident(alert, where)
        except Unreadable as error:
            tiny = alert.get("tinyId") if isinstance(alert, dict) else None
            yield Problem(f"{where} (tinyId {tiny})" if tiny else where, str(error))


@register(
    NAME,
    label="Opsgenie alerts (history)",
    kind="history",
    file_hint="Opsgenie Alert API JSON (GET /v2/alerts, one page or a list of pages)",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import Opsgenie alerts as incident history; see the module docstring."""
    incidents_import(
        parse(data),
        source=Incident.Source.OPSGENIE,
        kind_label="Opsgenie alert",
        options=options,
        report=report,
        progress=progress,
        total=len(_alerts(read_json(data))),
    )


def services(data: bytes, mapping: dict) -> list[str]:
    """Return the services of the file that ``mapping`` and the catalog leave unmapped."""
    return unmapped_services(parse, data, mapping)


run.unmapped_services = services
