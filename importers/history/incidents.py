"""What the incident history importers share: the parsed incident, times, mapping, writing.

Each source module (``incidents_pagerduty``, ``incidents_opsgenie``, ``incidents_grafana``)
turns its export into ``SourceIncident`` objects (or ``Problem`` for an object it cannot read)
and hands them to :func:`incidents_import`, which maps each source service to a component,
takes the owning team from the component's ownership at the incident's creation and writes
the incidents directly: imported history is never routed, paged, escalated or notified.

Options (``options`` of ``importers.base.execute``): ``mapping``, a dict
``{source service name: component slug}``; a service missing from it is looked up as a
component slug, then as a component name (case-insensitively).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import json
from collections.abc import Iterable, Iterator

import yaml
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from importers.base import ImportRefused, ImportReport, Problem, Progress
from incidents.models import Incident, Severity, Urgency
from incidents.models.choices import default_urgency
from ownership.models import Component, OwnershipPeriod

from .incidents_merge import LIFECYCLE_BY, create_imported, fingerprint, merge

# PagerDuty's and Opsgenie's default priorities P1-P5 (README "Moving to Rota").
PRIORITY_SEVERITY = {
    "P1": Severity.SEV1,
    "P2": Severity.SEV2,
    "P3": Severity.SEV3,
    "P4": Severity.SEV4,
    "P5": Severity.SEV4,
}
SEVERITIES = frozenset(Severity.values)
BATCH = 500
PROGRESS_EVERY = 100
# What an import may change on an incident it imported before.
COMPARED = (
    "title",
    "description",
    "severity",
    "urgency",
    "status",
    "component_id",
    "owning_team_id",
    "responding_team_id",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "ticket_url",
)


@dataclasses.dataclass
class SourceIncident:
    """One incident as the source tool recorded it; times are aware (UTC)."""

    where: str  # "line 4", "data[2] (tinyId 17)": names it in the source's own terms
    source_id: str
    title: str
    service: str  # the source's service name: the key of the component mapping
    created_at: datetime.datetime
    severity: str
    urgency: str
    acknowledged_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    description: str = ""
    link: str = ""
    status: str = ""  # Incident.Status; empty: from the times
    number: str = ""  # the number people know it by (Opsgenie tinyId, PagerDuty #), if any


class Unreadable(ValueError):
    """A field of one source object cannot be read; the message names the field."""


def parse_time(value, field: str) -> datetime.datetime | None:
    """Read an ISO 8601 time (``Z``, an offset or a trailing `` UTC``); None when empty.

    A time without an offset is taken as UTC. Raise ``Unreadable`` naming ``field``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if text.endswith(" UTC"):
        text = text[:-4]
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise Unreadable(f'{field} "{value}" is not an ISO 8601 time') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def after(start: datetime.datetime, milliseconds, field: str) -> datetime.datetime | None:
    """Return ``start`` plus a duration in milliseconds (None when the duration is absent)."""
    if milliseconds in (None, ""):
        return None
    try:
        amount = int(milliseconds)
    except (TypeError, ValueError):
        raise Unreadable(f'{field} "{milliseconds}" is not a number of milliseconds') from None
    if amount < 0:
        raise Unreadable(f"{field} is negative ({amount} ms)")
    return start + datetime.timedelta(milliseconds=amount)


def severity_for_priority(priority: str) -> str | None:
    """Return the severity of a P1-P5 priority, or of a SEV1-SEV4 name; None for another name.

    Case, spaces and hyphens do not matter (``p2``, ``SEV-2``).
    """
    name = (priority or "").strip().upper().replace("-", "").replace(" ", "")
    if name in SEVERITIES:
        return name
    return PRIORITY_SEVERITY.get(name)


def load_mapping(data: bytes | str) -> dict[str, str]:
    """Read a mapping file: YAML or JSON ``{source service name: component slug}``.

    Raise ``ImportRefused`` when it is not such a mapping.
    """
    try:
        mapping = yaml.safe_load(data) if data else {}
    except yaml.YAMLError as error:
        raise ImportRefused(f"not YAML or JSON ({error})", where="mapping") from None
    if mapping is None:
        return {}
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str | int) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise ImportRefused(
            "give one line per service: <source service name>: <component slug>",
            where="mapping",
        )
    return {str(k): v for k, v in mapping.items()}


def read_json(data: bytes) -> object:
    """Parse a JSON export; raise ``ImportRefused`` naming the line and column."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ImportRefused(
            f"not JSON: {error.msg}", where=f"line {error.lineno} column {error.colno}"
        ) from None


class ComponentMap:
    """Resolve source service names to components, with the reason when one cannot be."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = dict(mapping)
        rows = Component.objects.select_related("effective_owner_team")
        self.by_slug = {c.slug: c for c in rows}
        self.by_name = {c.name.casefold(): c for c in self.by_slug.values()}

    def component(self, service: str) -> tuple[Component | None, str]:
        """Return (component, "") or (None, why not)."""
        if service in self.mapping:
            slug = self.mapping[service]
            found = self.by_slug.get(slug)
            if found is None:
                return None, f'service "{service}" is mapped to "{slug}", which is no component'
            return found, ""
        found = self.by_slug.get(service) or self.by_slug.get(slugify(service))
        found = found or self.by_name.get(service.casefold())
        if found is None:
            return None, (
                f'unknown service "{service}": map it to a component '
                "(--mapping FILE, or pick one on the import page)"
            )
        return found, ""

    def unmapped(self, services: Iterable[str]) -> list[str]:
        """Return the services (sorted, once each) that map to no component."""
        return sorted({s for s in services if self.component(s)[0] is None})


class Owners:
    """The owning team of components at past instants, from their dated ownership periods.

    Before the catalog knew a component (history older than Rota), its first recorded owner
    is taken; a component with no period at all is owned by its current effective owner.
    """

    def __init__(self):
        self.periods: dict[int, list[OwnershipPeriod]] = {}
        for period in OwnershipPeriod.objects.order_by("component_id", "valid_from"):
            self.periods.setdefault(period.component_id, []).append(period)
        self.starts = {cid: [p.valid_from for p in ps] for cid, ps in self.periods.items()}

    def team_id(self, component: Component, at: datetime.datetime) -> int | None:
        periods = self.periods.get(component.pk)
        if not periods:
            return component.effective_owner_team_id
        # The last period that started by ``at``; periods follow one another without gaps.
        index = bisect.bisect_right(self.starts[component.pk], at) - 1
        return periods[max(index, 0)].team_id


def _status(item: SourceIncident) -> str:
    if item.status:
        return item.status
    if item.resolved_at is not None:
        return Incident.Status.RESOLVED
    if item.acknowledged_at is not None:
        return Incident.Status.ACKNOWLEDGED
    return Incident.Status.TRIGGERED


def _check_times(item: SourceIncident) -> str:
    """Return why the times cannot be imported, or ""."""
    if item.acknowledged_at is not None and item.acknowledged_at < item.created_at:
        return "acknowledged before it was created"
    if item.resolved_at is not None and item.resolved_at < item.created_at:
        return "resolved before it was created"
    if _status(item) == Incident.Status.RESOLVED and item.resolved_at is None:
        return "resolved in the source but no resolved time is given"
    return ""


def _values(item: SourceIncident, component: Component, owner_id: int | None) -> dict:
    return {
        "title": (item.title.strip() or f"{item.service} incident")[:200],
        "description": item.description,
        "severity": item.severity,
        "urgency": item.urgency or default_urgency(item.severity),
        "status": _status(item),
        "component_id": component.pk,
        "owning_team_id": owner_id,
        # History says who owned the component, not which Rota team would have responded:
        # the owning team responded (total ownership), as the source tool paged its service.
        "responding_team_id": owner_id,
        "created_at": item.created_at,
        "acknowledged_at": item.acknowledged_at,
        "resolved_at": item.resolved_at,
        "ticket_url": item.link[:500],
    }


def _clean(incident: Incident) -> None:
    # Foreign keys come from rows just read and the uniqueness of (source, source_id) is
    # checked against the rows already imported: only the field values are validated here.
    incident.full_clean(
        exclude=["component", "owning_team", "responding_team"],
        validate_unique=False,
        validate_constraints=False,
    )


def incidents_import(
    items: Iterable[SourceIncident | Problem],
    *,
    source: str,
    kind_label: str,
    options: dict,
    report: ImportReport,
    progress: Progress,
    total: int | None,
) -> None:
    """Write ``items`` as incidents of ``source`` (an ``Incident.Source``), idempotently.

    An incident already imported from the same source and id is updated when the source
    changed it, else left alone. Nothing is routed or paged: no ``Page`` rows, no e-mail,
    no task. ``kind_label`` names the source in the report's details ("PagerDuty").
    """
    components = ComponentMap(options.get("mapping") or {})
    owners = Owners()
    existing = {incident.source_id: incident for incident in Incident.objects.filter(source=source)}
    seen: dict[str, str] = {}
    numbers: dict[str, str] = {}  # source id -> what the timeline note calls it
    new: list[Incident] = []
    changed: list[Incident] = []
    done = 0
    progress(0, total)
    for item in items:
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
        if isinstance(item, Problem):
            report.problems.append(item)
            continue
        if item.source_id in seen:
            report.problem(item.where, f'the same id "{item.source_id}" as {seen[item.source_id]}')
            continue
        seen[item.source_id] = item.where
        component, why = components.component(item.service)
        if component is None:
            report.problem(item.where, why)
            continue
        why = _check_times(item)
        if why:
            report.problem(item.where, why)
            continue
        values = _values(item, component, owners.team_id(component, item.created_at))
        label = f"{kind_label} {item.source_id} ({item.where}) in {component.slug}"
        digest = fingerprint(values)
        incident = existing.get(item.source_id)
        if incident is None:
            incident = Incident(
                source=source, source_id=item.source_id, source_hash=digest, **values
            )
            numbers[item.source_id] = item.number or item.source_id
        elif incident.source_hash == digest:
            # The source did not change since the last import: what Rota did since stays.
            report.keep("incident")
            continue
        elif not merge(incident, values, digest):
            changed.append(incident)  # only the fingerprint is new
            report.keep("incident")
            continue
        try:
            _clean(incident)
        except ValidationError as error:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            report.problem(item.where, fields)
            continue
        if incident.pk is None:
            new.append(incident)
            report.create("incident", label)
        else:
            changed.append(incident)
            report.update("incident", label)
        if len(new) >= BATCH:
            create_imported(new, source, kind_label, numbers)
            new = []
        if len(changed) >= BATCH:
            Incident.objects.bulk_update(changed, [*_FIELDS])
            changed = []
    create_imported(new, source, kind_label, numbers)
    Incident.objects.bulk_update(changed, [*_FIELDS], batch_size=BATCH)
    progress(done, total if total is not None else done)


_FIELDS = (*(name.removesuffix("_id") for name in COMPARED), *LIFECYCLE_BY, "source_hash")


def source_services(items: Iterator[SourceIncident | Problem]) -> list[str]:
    """Return the service names ``items`` mention, sorted, once each."""
    return sorted({item.service for item in items if isinstance(item, SourceIncident)})


def unmapped_services(parse, data: bytes, mapping: dict[str, str]) -> list[str]:
    """Return the services of ``data`` (read with ``parse``) that ``mapping`` leaves unmapped."""
    return ComponentMap(mapping).unmapped(source_services(parse(data)))


__all__ = [
    "ComponentMap",
    "PRIORITY_SEVERITY",
    "SourceIncident",
    "Unreadable",
    "Urgency",
    "after",
    "incidents_import",
    "load_mapping",
    "parse_time",
    "read_json",
    "severity_for_priority",
    "source_services",
    "unmapped_services",
]
