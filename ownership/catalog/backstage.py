"""Read the catalog from Backstage ``catalog-info.yaml`` entities.

This module is pure: text in, plain data out; ``ownership.catalog.backstage_build`` writes
the same mapping back. Neither touches the database: ``ownership.catalog.services`` checks
parsed data against the database and applies it.

Backstage entities (a file may hold many YAML documents separated by ``---``)
---------------------------------------------------------------------------------
``Group`` -> Team
    ``metadata.name`` -> slug; ``spec.profile.displayName``, else ``metadata.title``, else the
    name -> name; ``metadata.description`` -> description; ``spec.profile.email`` -> email;
    annotations ``rota.dev/timezone``, ``rota.dev/chat-webhook``, ``rota.dev/chat-channel``
    -> timezone, chat_webhook_url, chat_channel. ``spec.members`` (``alice``, ``user:alice``
    or ``user:default/alice``) -> the team's memberships, role engineer unless named in the
    annotation ``rota.dev/managers: a,b`` or ``rota.dev/leads: c``; people named only there
    become members too. Members who are not users yet are created without a usable password.
    When neither role annotation is present, people already in the team keep their role.
``System`` -> Component of kind ``area``
    ``spec.owner`` -> owner team; annotation ``rota.dev/parent`` -> parent.
``Component`` -> Component
    ``spec.type`` (service, library, website; anything else -> other) -> kind; ``spec.owner``
    (``group:default/payments``, ``group:payments`` or ``payments``) -> owner team;
    ``spec.subcomponentOf``, else ``spec.system`` -> parent.
Both component kinds also map ``metadata.title`` (default: the name) -> name,
``metadata.description`` -> description, annotation ``backstage.io/source-location`` (without
its ``url:`` prefix) -> repository_url, the ``metadata.links`` whose type or title contains
"runbook" / "dashboard" -> runbook_url / dashboard_url, annotation ``rota.dev/tier`` (1-4)
-> tier and annotation ``rota.dev/paths`` (comma-separated CODEOWNERS globs in stored form,
see ``ownership.paths.canonical_pattern``: inner spaces bare) -> paths.

Other kinds (API, Resource, Domain, User, Location, ...) are reported as skipped. Rota has a
single namespace: the namespace part of an entity reference is ignored.

A field the entity does not mention is left as it is on an existing record (and takes the
model's default on a new one), so a plain Backstage catalog does not wipe what was set in
Rota; give a field explicitly (e.g. ``rota.dev/paths: ""``) to clear it. ``metadata.links``
sets both the runbook and the dashboard: a missing kind of link clears that URL. The name
is always set (from the title, else the entity name). An import never deletes teams,
components or users.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator, validate_slug

from core.netsafety import validate_webhook_address

from ..paths import GlobError, canonical_pattern, compile_glob
from ..validators import validate_timezone
from .entity import Entity, read_documents
from .report import by_line

ANNOTATION_TIMEZONE = "rota.dev/timezone"
ANNOTATION_CHAT_WEBHOOK = "rota.dev/chat-webhook"
ANNOTATION_CHAT_CHANNEL = "rota.dev/chat-channel"
ANNOTATION_MANAGERS = "rota.dev/managers"
ANNOTATION_LEADS = "rota.dev/leads"
ANNOTATION_TIER = "rota.dev/tier"
ANNOTATION_PATHS = "rota.dev/paths"
ANNOTATION_PARENT = "rota.dev/parent"
ANNOTATION_SOURCE = "backstage.io/source-location"

API_VERSION = "backstage.io/v1alpha1"
COMPONENT_TYPES = ("service", "library", "website")
IMPORTED_KINDS = {"group": "Group", "system": "System", "component": "Component"}
TEAM_SLUG_MAX, COMPONENT_SLUG_MAX = 60, 100
# Field name -> maximum length, as declared on the models.
TEAM_LIMITS = {"name": 100, "email": 254, "chat_webhook_url": 500, "chat_channel": 100}
COMPONENT_LIMITS = {"name": 150, "repository_url": 500, "runbook_url": 500, "dashboard_url": 500}
_USERNAME = re.compile(r"^[\w.@+-]{1,150}\Z")
_validate_url = URLValidator(schemes=["http", "https"])
_validate_email = EmailValidator()


# --- Parsed data ---------------------------------------------------------------------------


@dataclass
class TeamEntry:
    slug: str
    line: int
    fields: dict  # Team field -> value, only for fields the file sets
    members: list | None = None  # [(username, role)]; None leaves the memberships alone
    keep_roles: bool = True  # no role annotation: existing members keep their role


@dataclass
class ComponentEntry:
    kind: str  # "Component" or "System", as written in the file
    slug: str
    line: int
    # Component field -> value for the fields the file sets; "owner_team" and "parent" hold
    # slugs (or None), resolved against the database when the catalog is applied.
    fields: dict
    paths: list | None = None  # None leaves the paths alone
    lines: dict = field(default_factory=dict)  # "owner_team", "parent", "paths" -> line

    def where(self, key=None) -> str:
        """Name the entity for a message, at the line of ``key`` when the file has it."""
        return f"line {self.lines.get(key, self.line)}: {self.kind} {self.slug}"


@dataclass
class Skipped:
    kind: str
    name: str
    line: int
    reason: str


@dataclass
class ParsedCatalog:
    teams: list = field(default_factory=list)
    components: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)


# --- Reading entities ----------------------------------------------------------------------


def _slug(entity, max_length):
    name = entity.name
    if name is None or name == "":
        entity.error("metadata.name is missing")
        return None
    if not isinstance(name, str):
        entity.error("metadata.name must be text", entity.metadata, "name")
        return None
    try:
        validate_slug(name)
    except ValidationError:
        entity.error(
            f"metadata.name {name!r} cannot be a slug (letters, digits, - and _ only)",
            entity.metadata,
            "name",
        )
        return None
    if len(name) > max_length:
        entity.error(f"metadata.name is longer than {max_length} characters")
        return None
    return name


def _set(fields, key, value):
    if value is not None:
        fields[key] = value


def _people(entity, parent, key, label):
    """Read a list of user references, either a YAML list or a comma-separated string."""
    value = parent.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        entity.error(f"{label} must be a list of people", parent, key)
        return []
    names = []
    for item in value:
        name = entity.ref({"ref": item}, "ref", label, "user") if item is not None else None
        if name and not _USERNAME.match(name):
            entity.error(f"{label}: {name!r} is not a valid username", parent, key)
        elif name and name not in names:
            names.append(name)
    return names


def _read_group(entity):
    slug = _slug(entity, TEAM_SLUG_MAX)
    profile = entity.mapping(entity.spec, "profile", "spec.profile")
    fields = {}
    name = entity.text(profile, "displayName", "spec.profile.displayName", TEAM_LIMITS["name"])
    if name == "":
        name = entity.text(entity.metadata, "title", "metadata.title", TEAM_LIMITS["name"])
    _set(fields, "name", name or slug)
    if "description" in entity.metadata:
        _set(fields, "description", entity.text(entity.metadata, "description", "description"))
    if "email" in profile:
        value = entity.text(
            profile, "email", "spec.profile.email", TEAM_LIMITS["email"], _validate_email
        )
        _set(fields, "email", value)
    annotations = entity.annotations
    for key, model_field, validator in (
        (ANNOTATION_TIMEZONE, "timezone", validate_timezone),
        (ANNOTATION_CHAT_WEBHOOK, "chat_webhook_url", validate_webhook_address),
        (ANNOTATION_CHAT_CHANNEL, "chat_channel", None),
    ):
        if key in annotations:
            limit = TEAM_LIMITS.get(model_field)
            _set(fields, model_field, entity.text(annotations, key, key, limit, validator))
    if fields.get("timezone") == "":
        entity.error(f"{ANNOTATION_TIMEZONE} cannot be empty", annotations, ANNOTATION_TIMEZONE)
    entry = TeamEntry(slug=slug, line=entity.line, fields=fields)

    managers = _people(entity, annotations, ANNOTATION_MANAGERS, ANNOTATION_MANAGERS)
    leads = _people(entity, annotations, ANNOTATION_LEADS, ANNOTATION_LEADS)
    for both in sorted(set(managers) & set(leads)):
        entity.error(f"{both} is named both a manager and a lead", annotations)
    entry.keep_roles = (
        ANNOTATION_MANAGERS not in annotations and ANNOTATION_LEADS not in annotations
    )
    has_members = "members" in entity.spec
    if has_members or not entry.keep_roles:
        roles = dict.fromkeys(_people(entity, entity.spec, "members", "spec.members"), "engineer")
        roles.update(dict.fromkeys(leads, "lead"))
        roles.update(dict.fromkeys(managers, "manager"))
        entry.members = list(roles.items())
    return entry


def _link_urls(entity):
    """Find the runbook and dashboard among metadata.links."""
    links = entity.metadata.get("links")
    if not isinstance(links, list):
        entity.error("metadata.links must be a list", entity.metadata, "links")
        return {}
    found = {"runbook_url": "", "dashboard_url": ""}
    for link in links:
        if not isinstance(link, dict):
            entity.error("each of metadata.links must be a mapping", entity.metadata, "links")
            continue
        label = f"{link.get('type') or ''} {link.get('title') or ''}".lower()
        for word, model_field in (("runbook", "runbook_url"), ("dashboard", "dashboard_url")):
            if word in label and not found[model_field]:
                url = entity.text(
                    link, "url", f"{word} link url", COMPONENT_LIMITS[model_field], _validate_url
                )
                if url == "":
                    entity.error(f"the {word} link has no url", link, "url")
                _set(found, model_field, url)
    return found


def _source_url(value):
    # Backstage writes "url:https://..."; a "dir:" location has no address to link to.
    _validate_url(value.removeprefix("url:"))


def _read_component(entity, kind):
    slug = _slug(entity, COMPONENT_SLUG_MAX)
    metadata, spec, annotations = entity.metadata, entity.spec, entity.annotations
    fields, lines = {}, {}
    title = entity.text(metadata, "title", "metadata.title", COMPONENT_LIMITS["name"])
    _set(fields, "name", title or slug)
    if "description" in metadata:
        _set(fields, "description", entity.text(metadata, "description", "description"))
    if kind == "System":
        fields["kind"] = "area"
        if ANNOTATION_PARENT in annotations:
            parent = entity.ref(annotations, ANNOTATION_PARENT, ANNOTATION_PARENT, "component")
            if parent is not None:
                fields["parent"] = parent or None
            lines["parent"] = entity.line_of(annotations, ANNOTATION_PARENT)
    else:
        if "type" in spec:
            value = entity.text(spec, "type", "spec.type")
            if value is not None:
                fields["kind"] = value.lower() if value.lower() in COMPONENT_TYPES else "other"
        for key, ref_kind in (("subcomponentOf", "component"), ("system", "system")):
            if key in spec:
                parent = entity.ref(spec, key, f"spec.{key}", ref_kind)
                if parent is not None:
                    fields["parent"] = parent or None
                lines["parent"] = entity.line_of(spec, key)
                break
    if "owner" in spec:
        owner = entity.ref(spec, "owner", "spec.owner", "group")
        if owner is not None:
            fields["owner_team"] = owner or None
        lines["owner_team"] = entity.line_of(spec, "owner")
    if ANNOTATION_SOURCE in annotations:
        limit = COMPONENT_LIMITS["repository_url"] + len("url:")
        value = entity.text(annotations, ANNOTATION_SOURCE, ANNOTATION_SOURCE, limit, _source_url)
        if value is not None:
            fields["repository_url"] = value.removeprefix("url:")
    if "links" in metadata:
        fields.update(_link_urls(entity))
    if ANNOTATION_TIER in annotations:
        value = entity.text(annotations, ANNOTATION_TIER, ANNOTATION_TIER)
        if value not in ("1", "2", "3", "4"):
            entity.error(
                f"{ANNOTATION_TIER} must be 1, 2, 3 or 4, not {annotations[ANNOTATION_TIER]!r}",
                annotations,
                ANNOTATION_TIER,
            )
        else:
            fields["tier"] = int(value)
    entry = ComponentEntry(kind=kind, slug=slug, line=entity.line, fields=fields, lines=lines)
    if ANNOTATION_PATHS in annotations:
        value = entity.text(annotations, ANNOTATION_PATHS, ANNOTATION_PATHS)
        entry.paths = []
        lines["paths"] = entity.line_of(annotations, ANNOTATION_PATHS)
        for written in (value or "").split(","):
            if not written.strip():
                continue
            try:
                pattern = canonical_pattern(written)
                compile_glob(pattern)
            except GlobError as exc:
                entity.error(f"path {written.strip()!r}: {exc}", annotations, ANNOTATION_PATHS)
                continue
            if pattern not in entry.paths:
                entry.paths.append(pattern)
    return entry


def parse_catalog(text: str) -> ParsedCatalog:
    """Read Backstage entities; every problem found lands in ``errors``, none is raised."""
    parsed = ParsedCatalog()
    errors = parsed.errors
    seen_teams, seen_components, seen_paths = {}, {}, {}
    for line, document in read_documents(text, errors):
        if not isinstance(document, dict):
            errors.append(
                f"line {line}: not a catalog entity (expected a mapping with "
                "apiVersion, kind, metadata and spec)"
            )
            continue
        raw_kind = document.get("kind")
        if not isinstance(raw_kind, str) or not raw_kind.strip():
            errors.append(f"line {line}: the entity has no kind")
            continue
        kind = IMPORTED_KINDS.get(raw_kind.strip().lower())
        entity = Entity(document, line, kind or raw_kind.strip(), errors)
        if kind is None:
            name = entity.name if isinstance(entity.name, str) else "(no name)"
            reason = f"kind {entity.kind} is not part of Rota's catalog"
            parsed.skipped.append(Skipped(entity.kind, name, line, reason))
            continue
        if kind == "Group":
            entry, seen, target = _read_group(entity), seen_teams, parsed.teams
        else:
            entry, seen, target = _read_component(entity, kind), seen_components, parsed.components
        if entry.slug is None:
            continue
        if entry.slug in seen:
            entity.error(f"{entry.slug} is defined twice (first on line {seen[entry.slug]})")
            continue
        seen[entry.slug] = line
        target.append(entry)
        for pattern in getattr(entry, "paths", None) or ():
            if pattern in seen_paths:
                entity.error(f"path {pattern!r} is also given to {seen_paths[pattern]}")
            seen_paths[pattern] = entry.slug
    if not errors and not (parsed.teams or parsed.components or parsed.skipped):
        errors.append("The file holds no catalog entities.")
    parsed.errors = by_line(errors)
    return parsed


def find_cycle(parents: dict):
    """Return one cycle in a child -> parent mapping as a list of slugs, or None."""
    done = set()
    for start in parents:
        path, node = [], start
        while node is not None and node not in done:
            if node in path:
                return path[path.index(node) :] + [node]
            path.append(node)
            node = parents.get(node)
        done.update(path)
    return None


def parents_first(slugs, parents: dict) -> list:
    """Order slugs so that each comes after its ancestors (ties by slug); needs no cycle."""
    depth = {}

    def depth_of(slug):
        if slug not in depth:
            parent = parents.get(slug)
            depth[slug] = 0 if parent is None else depth_of(parent) + 1
        return depth[slug]

    return sorted(slugs, key=lambda slug: (depth_of(slug), slug))
