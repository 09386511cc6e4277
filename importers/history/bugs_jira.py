"""Import bug history from Jira's issue export: *Export → Export CSV (all fields)*.

Columns read (others are ignored): ``Issue key`` (the bug's identity: a re-import updates it),
``Summary``, ``Issue Type`` (only bug types are imported), ``Priority`` and ``Labels``
(severity), ``Component/s`` (or ``Components``) then ``Labels`` (component), ``Resolution``
(outcome), ``Created`` and ``Resolved``, ``Description``. Jira repeats a column once per value
of a multi-value field (``Component/s``, ``Labels``): every copy is read. Jira writes times like
``12/Mar/25 3:04 PM`` in the exporting user's time zone, given as the ``timezone`` option.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.conf import settings

from core.timeutil import local_to_utc, zone
from importers.base import ImportRefused, ImportReport, Progress
from importers.registry import register
from incidents.models import Bug

from .bugs_common import (
    SourceBug,
    add_picks,
    in_line_order,
    load_mapping,
    name_key,
    read_mapping,
    save_bugs,
    unplaced_names,
)

REQUIRED = ("Issue key", "Summary", "Created")
COMPONENT_COLUMNS = ("Component/s", "Components")
# Jira's default "dd/MMM/yy h:mm a", then the formats sites commonly configure instead.
DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%Y-%m-%d %H:%M")
UNRESOLVED = {"", "unresolved"}


def parse_jira_time(text: str, tz_name: str) -> datetime.datetime:
    """Read a Jira export time (``12/Mar/25 3:04 PM``) in ``tz_name``; return it in UTC.

    A time in the hour a DST change skips reads as the moment the clocks jump; one that occurs
    twice is the first (still summer time), as everywhere in Rota. Raises ``ValueError``.
    """
    text = " ".join(text.split())
    for fmt in DATE_FORMATS:
        try:
            naive = datetime.datetime.strptime(text, fmt)  # noqa: DTZ007 - zone applied next
        except ValueError:
            continue
        return local_to_utc(naive, zone(tz_name))
    raise ValueError(f'"{text}" is not a Jira time like 12/Mar/25 3:04 PM')


def _zone_name(options: dict) -> str:
    name = options.get("timezone") or settings.TIME_ZONE
    try:
        zone(name)
    except (ValueError, KeyError, OSError):
        raise ImportRefused(
            f'"{name}" is no IANA time zone (e.g. Europe/London)', where="timezone"
        ) from None
    return name


def read_jira_csv(data: bytes, *, tz_name: str, mapping, report: ImportReport) -> list[SourceBug]:
    """Return the bugs of a Jira CSV export; rows that cannot be read, and rows of an issue
    type not in ``mapping.issue_types``, go to ``report`` by line and key.

    Raises ``ImportRefused`` when the file is not a Jira CSV export (no header with the
    required columns).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("not a UTF-8 text file", where="Jira CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused("the file is empty", where="Jira CSV") from None
    except csv.Error as exc:
        raise ImportRefused(str(exc), where="line 1") from None
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip(), []).append(index)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ImportRefused(
            f"no column {', '.join(missing)}: export with Export → CSV (all fields)",
            where="line 1",
        )
    component_columns = [i for name in COMPONENT_COLUMNS for i in columns.get(name, [])]

    def one(row, name) -> str:
        indexes = columns.get(name)
        return row[indexes[0]].strip() if indexes and indexes[0] < len(row) else ""

    def every(row, indexes) -> list[str]:
        return [row[i].strip() for i in indexes if i < len(row) and row[i].strip()]

    bugs = []
    line = 1  # the header's last physical line
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportRefused(str(exc), where=f"line {start}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        key = one(row, "Issue key")
        where = f"line {start} ({key})" if key else f"line {start}"
        if not key:
            report.problem(where, "no Issue key")
            continue
        issue_type = one(row, "Issue Type")
        if issue_type and name_key(issue_type) not in mapping.issue_types:
            report.problem(
                where,
                f'Issue Type "{issue_type}" is not a bug type (list the types to import under '
                '"issue_types" in the mapping file)',
            )
            continue
        try:
            created = parse_jira_time(one(row, "Created"), tz_name)
        except ValueError as exc:
            report.problem(where, f"Created: {exc}")
            continue
        resolution, resolved_text = one(row, "Resolution"), one(row, "Resolved")
        try:
            resolved = parse_jira_time(resolved_text, tz_name) if resolved_text else None
        except ValueError as exc:
            report.problem(where, f"Resolved: {exc}")
            continue
        labels = every(row, columns.get("Labels", []))
        priority = one(row, "Priority")
        bugs.append(
            SourceBug(
                where=where,
                source_id=key,
                title=one(row, "Summary") or key,
                created_at=created,
                closed=name_key(resolution) not in UNRESOLVED or resolved is not None,
                closed_at=resolved,
                description=one(row, "Description"),
                ticket_url=f"{mapping.jira_url}/browse/{key}" if mapping.jira_url else "",
                components=every(row, component_columns),
                labels=labels,
                severity_names=[priority, *labels] if priority else labels,
                outcome_names=[resolution, *labels] if resolution else labels,
            )
        )
    return bugs


@register(
    "jira-bugs",
    label="Jira bugs",
    kind="history",
    file_hint="Jira issues CSV export (Export → CSV (all fields))",
)
def import_jira_bugs(
    data: bytes, *, options: dict, report: ImportReport, progress: Progress
) -> None:
    """Import the bugs of a Jira CSV export.

    ``options``: ``mapping`` (mapping file text or dict, see ``load_mapping``), ``timezone``
    (the exporting user's IANA zone; default the site's ``TIME_ZONE``).
    """
    tz_name = _zone_name(options)
    mapping = load_mapping(options.get("mapping"))
    bugs = read_jira_csv(data, tz_name=tz_name, mapping=mapping, report=report)
    save_bugs(bugs, source=Bug.Source.JIRA, mapping=mapping, report=report, progress=progress)
    in_line_order(report)


def _unplaced(data: bytes, mapping: dict) -> list[str]:
    """The Jira components (or labels) of bugs that ``mapping`` places nowhere (admin picker).

    Times do not decide where a bug goes: the file is read in UTC here.
    """
    bugs = read_jira_csv(
        data, tz_name="UTC", mapping=load_mapping(mapping or {}), report=ImportReport("jira")
    )
    return unplaced_names(bugs, mapping)


import_jira_bugs.read_mapping = read_mapping
import_jira_bugs.add_picks = add_picks
import_jira_bugs.unmapped_services = _unplaced
