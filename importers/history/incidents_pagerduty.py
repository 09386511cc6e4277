"""PagerDuty incident history, from the CSV of incidents PagerDuty exports.

Both exports PagerDuty offers are read: the incidents list's "Download CSV" (``created_on``,
``resolved_on``, ``description`` as the title) and the Analytics raw incident export
(``created_at``, ``resolved_at``, ``title``, ``seconds_to_first_ack``, ``seconds_to_resolve``).
Headers are matched case-insensitively, spaces read as underscores. Required: ``id``,
``service_name`` and ``created_on`` (or ``created_at``); the rest is optional (README
"Moving to Rota" lists the columns read and the priority table).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from importers.base import ImportRefused, ImportReport, Problem, Progress
from importers.registry import register
from incidents.models import Incident, Severity, Urgency

from .incidents import (
    SourceIncident,
    Unreadable,
    after,
    incidents_import,
    parse_time,
    severity_for_priority,
    unmapped_services,
)

NAME = "pagerduty-incidents"
# PagerDuty urgency when the incident has no P1-P5 priority.
URGENCY_SEVERITY = {"high": Severity.SEV2, "low": Severity.SEV4}
URGENCY = {"high": Urgency.INTERRUPTING, "low": Urgency.BACKLOG}
STATUS = {
    "triggered": Incident.Status.TRIGGERED,
    "acknowledged": Incident.Status.ACKNOWLEDGED,
    "resolved": Incident.Status.RESOLVED,
}
# Rota's name for a field: the column names PagerDuty's two exports give it, in order.
COLUMNS = {
    "created": ("created_on", "created_at"),
    "acknowledged": ("acknowledged_on", "acknowledged_at", "first_acknowledged_on"),
    "resolved": ("resolved_on", "resolved_at"),
    "title": ("title", "description", "summary"),
}


def _header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _first(row: dict, names: tuple) -> tuple[str, str]:
    """Return (column, value) of the first of ``names`` with a value, else (the first of
    ``names`` the file has, "")."""
    for name in names:
        if (row.get(name) or "").strip():
            return name, row[name].strip()
    return next((name for name in names if name in row), names[0]), ""


def _seconds(created, row: dict, column: str):
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        return after(created, round(float(value) * 1000), column)
    except ValueError:
        raise Unreadable(f'{column} "{value}" is not a number of seconds') from None


def _incident(row: dict, where: str) -> SourceIncident:
    source_id = (row.get("id") or "").strip()
    if not source_id:
        raise Unreadable("id is empty")
    service = (row.get("service_name") or "").strip()
    if not service:
        raise Unreadable("service_name is empty")
    column, value = _first(row, COLUMNS["created"])
    created = parse_time(value, column)
    if created is None:
        raise Unreadable(f"no created time ({column} is empty)")
    column, value = _first(row, COLUMNS["acknowledged"])
    acknowledged = parse_time(value, column) or _seconds(created, row, "seconds_to_first_ack")
    column, value = _first(row, COLUMNS["resolved"])
    resolved = parse_time(value, column) or _seconds(created, row, "seconds_to_resolve")
    urgency = (row.get("urgency") or "").strip().lower()
    priority = (row.get("priority") or row.get("priority_name") or "").strip()
    severity = severity_for_priority(priority)
    if severity is None:
        if priority:
            raise Unreadable(f'priority "{priority}" is none of P1-P5; rename it in the file')
        severity = URGENCY_SEVERITY.get(urgency, Severity.SEV3)
    status = (row.get("status") or "").strip().lower()
    if status and status not in STATUS:
        raise Unreadable(f'status "{status}" is none of {", ".join(STATUS)}')
    number = (row.get("incident_number") or "").strip()
    return SourceIncident(
        where=where,
        number=f"#{number}" if number else "",
        source_id=source_id,
        title=_first(row, COLUMNS["title"])[1],
        service=service,
        created_at=created,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        severity=severity,
        urgency=URGENCY.get(urgency, ""),
        status=STATUS.get(status, ""),
        link=(row.get("html_url") or "").strip(),
    )


def _reader(data: bytes) -> csv.DictReader:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None:
        raise ImportRefused("the file is empty", where="line 1")
    reader.fieldnames = [_header(name) for name in reader.fieldnames]
    missing = [
        names[0]
        for names in (("id",), ("service_name",), COLUMNS["created"])
        if not set(names) & set(reader.fieldnames)
    ]
    if missing:
        raise ImportRefused(
            f"no column {', '.join(missing)} (this is not PagerDuty's incidents CSV)",
            where="line 1",
        )
    return reader


def parse(data: bytes) -> Iterator[SourceIncident | Problem]:
    """Yield one ``SourceIncident`` per CSV row, or a ``Problem`` naming the row's line."""
    reader = _reader(data)
    start = 2
    for row in reader:
        # reader.line_num is the last physical line read: a quoted field may span several.
        where = f"line {start}"
        number = (row.get("incident_number") or "").strip()
        if number:
            where += f" (incident #{number})"
        start = reader.line_num + 1
        try:
            yield _incident(row, where)
        except Unreadable as error:
            yield Problem(where, str(error))
        except csv.Error as error:
            yield Problem(where, f"not CSV: {error}")


def _count(data: bytes) -> int:
    return sum(1 for _ in _reader(data))


@register(
    NAME,
    label="PagerDuty incidents (history)",
    kind="history",
    file_hint="PagerDuty incidents CSV (Incidents > Download CSV, or Analytics raw export)",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import PagerDuty incidents as resolved history; see the module docstring."""
    incidents_import(
        parse(data),
        source=Incident.Source.PAGERDUTY,
        kind_label="PagerDuty incident",
        options=options,
        report=report,
        progress=progress,
        total=_count(data),
    )


def services(data: bytes, mapping: dict) -> list[str]:
    """Return the services of the file that ``mapping`` and the catalog leave unmapped."""
    return unmapped_services(parse, data, mapping)


run.unmapped_services = services
