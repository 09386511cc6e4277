"""What the Jira and GitHub bug importers share: the mapping file and writing the bugs.

Each importer reads its file into :class:`SourceBug` records; :func:`save_bugs` maps them onto
Rota's components, severities, teams and outcomes and creates or updates ``incidents.Bug`` rows,
keyed by ``(source, source_id)`` so that a second import of the same file changes nothing.
Imported bugs are written directly (never through the filing services) so nobody is told about
them: they are the organisation's past, not work to do.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections import defaultdict

import yaml
from django.core.exceptions import ValidationError

from importers.base import ImportRefused, ImportReport, Progress
from incidents.models import Bug, Severity
from ownership.models import Component, OwnershipPeriod

from .incidents_merge import fingerprint

KIND = "bug"

# Jira priorities (both of Jira's schemes) and common GitHub labels; keys compare lower-case.
DEFAULT_SEVERITY = {
    "highest": "SEV1", "blocker": "SEV1", "sev1": "SEV1", "p0": "SEV1",
    "high": "SEV2", "critical": "SEV2", "sev2": "SEV2", "p1": "SEV2",
    "medium": "SEV3", "major": "SEV3", "sev3": "SEV3", "p2": "SEV3",
    "low": "SEV4", "lowest": "SEV4", "minor": "SEV4", "trivial": "SEV4", "sev4": "SEV4",
    "p3": "SEV4",
}  # fmt: skip
# Jira resolutions, GitHub state reasons and labels that mean the bug was not fixed.
DEFAULT_OUTCOME = {
    "won't do": "wont_fix", "won't fix": "wont_fix", "wontfix": "wont_fix",
    "duplicate": "wont_fix", "cannot reproduce": "wont_fix", "incomplete": "wont_fix",
    "declined": "wont_fix", "not_planned": "wont_fix", "invalid": "wont_fix",
    "fixed": "fixed", "done": "fixed",
}  # fmt: skip
DEFAULT_ISSUE_TYPES = ("bug", "defect")
MAPPING_KEYS = {"components", "severity", "outcome", "default_component", "issue_types", "jira_url"}


def name_key(name: str) -> str:
    """Compare names as Jira and GitHub users type them: case and curly apostrophes aside."""
    return name.strip().replace("\u2019", "'").casefold()


@dataclasses.dataclass
class Mapping:
    """How source names become Rota's: see :func:`load_mapping` for the file's shape."""

    components: dict[str, str] = dataclasses.field(default_factory=dict)
    severity: dict[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    outcome: dict[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_OUTCOME))
    default_component: str = ""
    issue_types: tuple[str, ...] = DEFAULT_ISSUE_TYPES
    jira_url: str = ""


def load_mapping(data) -> Mapping:
    """Read a mapping file (YAML or JSON text, bytes, an already parsed dict, or None).

    Shape: ``{"components": {source name: component slug}, "severity": {priority or label:
    "SEV1".."SEV4"}, "outcome": {resolution, state reason or label: "fixed"|"story"|
    "wont_fix"}, "default_component": slug, "issue_types": [Jira issue type], "jira_url":
    "https://example.atlassian.net"}``, every key optional; ``severity`` and ``outcome`` add to
    (and override) the defaults. Raises ``ImportRefused`` naming the key at fault.
    """
    if data is None or data == "" or data == b"":
        raw = {}
    elif isinstance(data, dict):
        raw = data
    else:
        try:
            raw = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise ImportRefused(f"not YAML or JSON ({exc})", where="mapping file") from None
        raw = raw or {}
    if not isinstance(raw, dict):
        raise ImportRefused("give a mapping of keys to values", where="mapping file")
    unknown = sorted(set(map(str, raw)) - MAPPING_KEYS)
    if unknown:
        raise ImportRefused(
            f"unknown key {', '.join(unknown)} (known: {', '.join(sorted(MAPPING_KEYS))})",
            where="mapping file",
        )
    mapping = Mapping()
    slugs = set(Component.objects.values_list("slug", flat=True))
    for name, slug in _pairs(raw, "components").items():
        if slug not in slugs:
            raise ImportRefused(
                f'"{name}" maps to "{slug}", which is no Rota component', where="mapping file"
            )
        mapping.components[name_key(name)] = slug
    for name, value in _pairs(raw, "severity").items():
        if value.upper() not in Severity.values:
            raise ImportRefused(
                f'severity of "{name}" is "{value}"; give one of {", ".join(Severity.values)}',
                where="mapping file",
            )
        mapping.severity[name_key(name)] = value.upper()
    for name, value in _pairs(raw, "outcome").items():
        if value not in Bug.Outcome.values:
            raise ImportRefused(
                f'outcome of "{name}" is "{value}"; give one of {", ".join(Bug.Outcome.values)}',
                where="mapping file",
            )
        mapping.outcome[name_key(name)] = value
    default = raw.get("default_component") or ""
    if default and default not in slugs:
        raise ImportRefused(
            f'default_component "{default}" is no Rota component', where="mapping file"
        )
    mapping.default_component = str(default)
    if "issue_types" in raw:
        types = raw["issue_types"]
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise ImportRefused(
                "issue_types: give a list of Jira issue types", where="mapping file"
            )
        mapping.issue_types = tuple(name_key(t) for t in types)
    mapping.jira_url = str(raw.get("jira_url") or "").rstrip("/")
    return mapping


def read_mapping(data: bytes | str) -> dict:
    """Read a bug mapping file for the admin; return it as a JSON-ready dict.

    The file's shape is :func:`load_mapping`'s; raises ``ImportRefused`` as it does.
    """
    try:
        raw = yaml.safe_load(data) if data else {}
    except yaml.YAMLError as exc:
        raise ImportRefused(f"not YAML or JSON ({exc})", where="mapping file") from None
    load_mapping(raw or {})
    return json.loads(json.dumps(raw or {}, default=str))


def add_picks(mapping: dict, picks: dict[str, str]) -> dict:
    """Return ``mapping`` (a bug mapping dict) with ``picks`` ({source name: slug}) added
    under ``components``."""
    return {**mapping, "components": {**(mapping.get("components") or {}), **picks}}


def unplaced_names(bugs: list[SourceBug], mapping) -> list[str]:
    """Return the source names (sorted, once each) of the bugs no component could be found
    for: their components, or their labels when they have none."""
    mapping = load_mapping(mapping or {})
    components = {c.slug: c for c in Component.objects.all()}
    by_name = {name_key(c.name): c for c in components.values()}
    by_name.update({name_key(slug): c for slug, c in components.items()})
    names = set()
    for bug in bugs:
        if _component(bug, mapping, components, by_name)[0] is None:
            names.update(bug.components or bug.labels)
    return sorted(names)


def _pairs(raw: dict, key: str) -> dict[str, str]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ImportRefused(f"{key}: give a mapping of names to values", where="mapping file")
    return {str(name): str(target) for name, target in value.items()}


@dataclasses.dataclass
class SourceBug:
    """One bug as its source tool exported it, before mapping.

    ``where`` names it in the source's terms (``line 7 (OPS-12)``); ``components`` are names the
    source gives as components (Jira's Component/s), tried before ``labels``; ``severity_names``
    (a priority, labels) and ``outcome_names`` (a resolution or state reason, labels) are tried
    in order. ``closed`` says whether the bug is closed; ``closed_at`` is an aware time or None.
    """

    where: str
    source_id: str
    title: str
    created_at: datetime.datetime
    closed: bool = False
    closed_at: datetime.datetime | None = None
    description: str = ""
    ticket_url: str = ""
    components: list[str] = dataclasses.field(default_factory=list)
    labels: list[str] = dataclasses.field(default_factory=list)
    severity_names: list[str] = dataclasses.field(default_factory=list)
    outcome_names: list[str] = dataclasses.field(default_factory=list)


class _Owners:
    """Who owned each component when: every ownership period, read in one query."""

    def __init__(self):
        self.periods = defaultdict(list)
        for period in OwnershipPeriod.objects.order_by("valid_from").only(
            "component_id", "team_id", "valid_from", "valid_to"
        ):
            self.periods[period.component_id].append(period)

    def team_id_at(self, component: Component, at: datetime.datetime) -> int | None:
        """The owner at ``at``; before the catalog knew the component, its first owner.

        Histories usually reach further back than Rota's catalog, which starts the day the
        component was entered: the first recorded owner is the best answer there is.
        """
        periods = self.periods.get(component.pk, [])
        for period in periods:
            if period.valid_from <= at and (period.valid_to is None or at < period.valid_to):
                return period.team_id
        if periods and at < periods[0].valid_from:
            return periods[0].team_id
        return component.effective_owner_team_id


def save_bugs(
    bugs: list[SourceBug],
    *,
    source: str,
    mapping: Mapping,
    report: ImportReport,
    progress: Progress,
    total: int | None = None,
) -> None:
    """Create or update one ``Bug`` per source bug; record each and every problem in ``report``.

    A bug whose component cannot be mapped, or whose times are impossible, is left out and
    reported. ``total`` is what ``progress`` counts up to (default: the number of bugs).
    """
    components = {c.slug: c for c in Component.objects.all()}
    by_name = {}
    for component in components.values():
        by_name.setdefault(name_key(component.name), component)
        by_name[name_key(component.slug)] = component
    owners = _Owners()
    existing = {
        bug.source_id: bug
        for bug in Bug.objects.filter(source=source, source_id__in=[b.source_id for b in bugs])
    }
    seen: dict[str, str] = {}
    total = len(bugs) if total is None else total
    for done, item in enumerate(bugs, start=1):
        progress(done, total)
        if item.source_id in seen:
            report.problem(
                item.where, f"{item.source_id} appears again (first at {seen[item.source_id]})"
            )
            continue
        seen[item.source_id] = item.where
        component, why = _component(item, mapping, components, by_name)
        if component is None:
            report.problem(item.where, why)
            continue
        if item.closed_at is not None and item.closed_at < item.created_at:
            report.problem(item.where, "closed before it was created; check the export's times")
            continue
        fields = {
            "title": _title(item.title),
            "description": item.description,
            "severity": _severity(item, mapping),
            "component_id": component.pk,
            "team_id": owners.team_id_at(component, item.created_at),
            "created_at": item.created_at,
            "closed_at": item.closed_at if item.closed else None,
            "outcome": _outcome(item, mapping) if item.closed else "",
            "ticket_url": item.ticket_url,
        }
        label = (
            f'{item.source_id} "{fields["title"]}" on {component.slug}, {fields["severity"]}, '
            f"{fields['outcome'] or 'open'}"
        )
        digest = fingerprint(fields)
        bug = existing.get(item.source_id)
        if bug is None:
            bug = Bug(source=source, source_id=item.source_id, source_hash=digest, **fields)
            if _saved(bug, item.where, report):
                report.create(KIND, label)
        elif bug.source_hash == digest:
            report.keep(KIND)  # the source did not change: what Rota decided since stays
        elif _merge(bug, fields, digest):
            if _saved(bug, item.where, report):
                report.update(KIND, label)
        else:
            Bug.objects.filter(pk=bug.pk).update(source_hash=digest)
            report.keep(KIND)


def _merge(bug: Bug, fields: dict, digest: str) -> bool:
    """Apply a changed source bug; never reopen one that is closed. True if anything changed.

    A bug the source still has open but Rota closed keeps Rota's outcome, closing time and
    decider; a bug the source closed takes the source's outcome and time.
    """
    before = {name: getattr(bug, name) for name in fields}
    bug.source_hash = digest
    closing = {"closed_at", "outcome"}
    for name, value in fields.items():
        if name not in closing:
            setattr(bug, name, value)
    if fields["outcome"]:
        bug.closed_at, bug.outcome = fields["closed_at"], fields["outcome"]
    return any(getattr(bug, name) != value for name, value in before.items())


def in_line_order(report: ImportReport) -> None:
    """Sort ``report.problems`` by the line or item they name (``line 6 (PAY-105)``,
    ``item 4 (#45)``), whichever step of the import found them; others keep their place last.
    """

    def place(problem) -> int:
        match = re.match(r"(?:line|item) (\d+)", problem.where)
        return int(match.group(1)) if match else 1 << 62

    report.problems.sort(key=place)


def _saved(bug: Bug, where: str, report: ImportReport) -> bool:
    """Save the bug if it is valid (times in Rota's range, ...); else report why, save nothing."""
    try:
        # The component and team ids were read a moment ago: no need to look each one up again.
        bug.full_clean(exclude=["component", "team"])
    except ValidationError as exc:
        messages = "; ".join(
            f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
        )
        report.problem(where, messages)
        return False
    bug.save()
    return True


def _title(title: str) -> str:
    title = " ".join(title.split())
    limit = Bug._meta.get_field("title").max_length
    return title if len(title) <= limit else title[: limit - 1] + "\u2026"


def _component(item: SourceBug, mapping: Mapping, components: dict, by_name: dict):
    """Return (component, None), or (None, why not) in words a user can act on."""
    for name in [*item.components, *item.labels]:
        slug = mapping.components.get(name_key(name))
        if slug is not None:
            return components[slug], None
        if name_key(name) in by_name:
            return by_name[name_key(name)], None
    if mapping.default_component:
        return components[mapping.default_component], None
    hint = 'map it under "components" in the mapping file'
    if item.components:
        names = ", ".join(f'"{n}"' for n in item.components)
        plural = "s" if len(item.components) > 1 else ""
        return None, f"component{plural} {names} is no Rota component: {hint}"
    if item.labels:
        names = ", ".join(f'"{n}"' for n in item.labels)
        return None, f"no component, and no label ({names}) names a Rota component: {hint}"
    return None, 'no component or label: set "default_component" in the mapping file'


def _severity(item: SourceBug, mapping: Mapping) -> str:
    """The worst severity any of its priority or labels maps to; SEV3 if none does."""
    found = [
        mapping.severity[name_key(n)]
        for n in item.severity_names
        if name_key(n) in mapping.severity
    ]
    return min(found) if found else Severity.SEV3


def _outcome(item: SourceBug, mapping: Mapping) -> str:
    """The first mapped resolution, state reason or label; fixed if none maps."""
    for name in item.outcome_names:
        if name_key(name) in mapping.outcome:
            return mapping.outcome[name_key(name)]
    return Bug.Outcome.FIXED
