"""Read and write the catalog as Backstage ``catalog-info.yaml`` entities and as CODEOWNERS.

This module is pure: text in, plain data out (and back). It never touches the database;
``ownership.catalog_services`` checks parsed data against the database and applies it.

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
-> tier and annotation ``rota.dev/paths`` (comma-separated CODEOWNERS globs) -> paths.

Other kinds (API, Resource, Domain, User, Location, ...) are reported as skipped. Rota has a
single namespace: the namespace part of an entity reference is ignored.

A field the entity does not mention is left as it is on an existing record (and takes the
model's default on a new one), so a plain Backstage catalog does not wipe what was set in
Rota; give a field explicitly (e.g. ``rota.dev/paths: ""``) to clear it. ``metadata.links``
sets both the runbook and the dashboard: a missing kind of link clears that URL. The name
is always set (from the title, else the entity name). An import never deletes teams,
components or users.

The export writes the same mapping back, leaving out empty fields: every team, then areas
and components with parents before children. A component that inherits its owner has no
``spec.owner``; components get ``spec.lifecycle: production`` because Backstage needs one.

CODEOWNERS
----------
Each line is ``pattern owner...``; owners are ``@org/team-slug``, ``@team-slug``, ``@user``
or an e-mail address. A ``# component: <slug>`` comment names the component of the pattern
lines that follow it, up to the next blank line or component comment. The export writes one
such section per component, ordered by slug; note that GitHub lets the *last* matching line
win, while Rota picks the most specific pattern whatever the order.
"""

import re
from collections.abc import Hashable
from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator, validate_slug

from .paths import GlobError, compile_glob
from .validators import validate_timezone

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
_DOCUMENT_START = re.compile(r"^---(?:\s|$)")
_validate_url = URLValidator(schemes=["http", "https"])
_validate_email = EmailValidator()


class CatalogImportError(Exception):
    """The file cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# --- Parsed data and the import report ------------------------------------------------------


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


@dataclass
class ReportEntry:
    action: str  # created, changed, unchanged or skipped
    kind: str
    name: str
    details: list = field(default_factory=list)

    def __str__(self):
        text = f"{self.action} {self.kind} {self.name}"
        return f"{text}: {'; '.join(self.details)}" if self.details else text


@dataclass
class ImportReport:
    entries: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    dry_run: bool = False

    def add(self, action, kind, name, details=()):
        self.entries.append(ReportEntry(action, kind, name, list(details)))

    def count(self, action) -> int:
        return sum(1 for entry in self.entries if entry.action == action)

    @property
    def summary(self) -> str:
        text = ", ".join(f"{a} {self.count(a)}" for a in ("created", "changed", "skipped"))
        return f"{text} ({self.count('unchanged')} unchanged)"

    def lines(self) -> list:
        """Render the report as lines a person reads: what happened, then the totals."""
        lines = [str(e) for e in self.entries if e.action != "unchanged"]
        lines += [f"warning: {w}" for w in self.warnings]
        if not self.count("created") and not self.count("changed"):
            lines.append("Nothing to change: the catalog already matches the file.")
        if self.dry_run:
            lines.append("Dry run: nothing was saved.")
        lines.append(self.summary)
        return lines


# --- YAML with line numbers -----------------------------------------------------------------


class _Mapping(dict):
    """A YAML mapping that remembers its line and the line of each key."""

    line = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    line_offset = 0  # where this loader's text starts in the whole file


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1 + loader.line_offset
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1 + loader.line_offset
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _documents(text, errors):
    """Yield (line, document) for each YAML document, collecting syntax errors of all of them."""
    # Each document is parsed on its own so that a syntax error in one does not hide the
    # errors of the others; YAML's own loader stops at the first.
    chunks, start = [], 0
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if _DOCUMENT_START.match(line) and number > start:
            chunks.append((start, "".join(lines[start:number])))
            start = number
    chunks.append((start, "".join(lines[start:])))
    for offset, chunk in chunks:
        loader = _Loader(chunk)
        loader.line_offset = offset
        documents = []
        try:
            while loader.check_data():
                documents.append(loader.get_data())
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1 + offset}, column {mark.column + 1}" if mark else "?"
            problem = " ".join(p for p in (exc.context, exc.problem) if p)
            errors.append(f"{where}: YAML syntax error: {problem}")
            continue
        except yaml.YAMLError as exc:
            errors.append(f"line {offset + 1}: YAML error: {exc}")
            continue
        finally:
            loader.dispose()
        for document in documents:
            if document is not None:
                yield getattr(document, "line", offset + 1), document


# --- Backstage entities ---------------------------------------------------------------------


class _Entity:
    """One entity being read: knows where it is and collects its errors."""

    def __init__(self, document, line, kind, errors):
        self.document, self.line, self.kind, self.errors = document, line, kind, errors
        self.name = None
        self.metadata = self.mapping(document, "metadata")
        self.name = self.metadata.get("name")
        self.spec = self.mapping(document, "spec")
        self.annotations = self.mapping(self.metadata, "annotations", "metadata.annotations")

    def line_of(self, mapping, key):
        return getattr(mapping, "key_lines", {}).get(key, self.line)

    def error(self, message, mapping=None, key=None):
        line = self.line_of(mapping, key) if mapping is not None else self.line
        name = self.name if isinstance(self.name, str) else "(no name)"
        self.errors.append(f"line {line}: {self.kind} {name}: {message}")

    def mapping(self, parent, key, label=None):
        value = parent.get(key)
        if value is None:
            return _Mapping()
        if not isinstance(value, dict):
            self.error(f"{label or key} must be a mapping", parent, key)
            return _Mapping()
        return value

    def text(self, parent, key, label, max_length=None, validator=None):
        """Return the string at parent[key], or None after recording why it is unusable."""
        value = parent.get(key)
        if value is None:
            return ""
        if isinstance(value, bool | int | float):
            value = str(value)
        if not isinstance(value, str):
            self.error(f"{label} must be text", parent, key)
            return None
        value = value.strip()
        if max_length and len(value) > max_length:
            self.error(f"{label} is longer than {max_length} characters", parent, key)
            return None
        if value and validator is not None:
            try:
                validator(value)
            except ValidationError as exc:
                self.error(f"{label} {value!r}: {' '.join(exc.messages)}", parent, key)
                return None
        return value

    def ref(self, parent, key, label, expected_kind):
        """Return the name in an entity reference such as ``group:default/payments``."""
        value = self.text(parent, key, label)
        if not value:
            return value
        kind, _, rest = value.rpartition(":")
        name = rest.rpartition("/")[2]
        if kind and kind.lower() != expected_kind:
            self.error(f"{label} {value!r} must refer to a {expected_kind}", parent, key)
            return None
        if not name:
            self.error(f"{label} {value!r} names no entity", parent, key)
            return None
        return name


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
        (ANNOTATION_CHAT_WEBHOOK, "chat_webhook_url", _validate_url),
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
        for pattern in (value or "").split(","):
            pattern = pattern.strip()
            if not pattern or pattern in entry.paths:
                continue
            try:
                compile_glob(pattern)
            except GlobError as exc:
                entity.error(f"path {pattern!r}: {exc}", annotations, ANNOTATION_PATHS)
                continue
            entry.paths.append(pattern)
    return entry


def parse_catalog(text: str) -> ParsedCatalog:
    """Read Backstage entities; every problem found lands in ``errors``, none is raised."""
    parsed = ParsedCatalog()
    errors = parsed.errors
    seen_teams, seen_components, seen_paths = {}, {}, {}
    for line, document in _documents(text, errors):
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
        entity = _Entity(document, line, kind or raw_kind.strip(), errors)
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


def by_line(errors) -> list:
    """Order messages that start with "line N" by N, keeping the order of equal lines."""

    def line(message):
        match = re.match(r"line (\d+)", message)
        return int(match.group(1)) if match else 0

    return sorted(errors, key=line)


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


# --- Building catalog-info.yaml -------------------------------------------------------------


def _without_blanks(mapping):
    return {key: value for key, value in mapping.items() if value not in ("", None, {}, [])}


def _group(team):
    members = team.get("members") or []
    by_role = {role: [u for u, r in members if r == role] for role in ("manager", "lead")}
    annotations = {
        ANNOTATION_TIMEZONE: team.get("timezone"),
        ANNOTATION_CHAT_WEBHOOK: team.get("chat_webhook_url"),
        ANNOTATION_CHAT_CHANNEL: team.get("chat_channel"),
        ANNOTATION_MANAGERS: ",".join(by_role["manager"]),
        ANNOTATION_LEADS: ",".join(by_role["lead"]),
    }
    profile = {"displayName": team["name"], "email": team.get("email")}
    metadata = {
        "name": team["slug"],
        "description": team.get("description"),
        "annotations": _without_blanks(annotations),
    }
    spec = {
        "type": "team",
        "profile": _without_blanks(profile),
        "children": [],
        "members": [username for username, _ in members],
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "Group",
        "metadata": _without_blanks(metadata),
        "spec": spec,
    }


def _component(component):
    is_area = component.get("kind") == "area"
    annotations = {
        ANNOTATION_SOURCE: f"url:{component['repository_url']}"
        if component.get("repository_url")
        else "",
        ANNOTATION_TIER: str(component.get("tier") or 3),
        ANNOTATION_PATHS: ",".join(component.get("paths") or ()),
    }
    links = [
        {"url": component[key], "title": title, "type": title.lower()}
        for key, title in (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))
        if component.get(key)
    ]
    spec = {}
    parent = component.get("parent")
    if is_area:
        annotations[ANNOTATION_PARENT] = parent or ""
    else:
        spec["type"] = component.get("kind") or "service"
        spec["lifecycle"] = "production"
    if component.get("owner"):
        spec["owner"] = f"group:default/{component['owner']}"
    if parent and not is_area:
        if component.get("parent_kind") == "area":
            spec["system"] = f"system:default/{parent}"
        else:
            spec["subcomponentOf"] = f"component:default/{parent}"
    metadata = {
        "name": component["slug"],
        "title": component["name"] if component["name"] != component["slug"] else "",
        "description": component.get("description"),
        "annotations": _without_blanks(annotations),
        "links": links,
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "System" if is_area else "Component",
        "metadata": _without_blanks(metadata),
        "spec": spec,
    }


def build_catalog(*, teams, components) -> str:
    """Write teams and components as Backstage entities, parents before their children.

    ``teams`` are mappings with the Team fields and ``members`` as (username, role) pairs;
    ``components`` are mappings with the Component fields, ``owner`` and ``parent`` as slugs,
    ``parent_kind`` and ``paths``.
    """
    teams = sorted(teams, key=lambda t: t["slug"])
    by_slug = {c["slug"]: c for c in components}
    parents = {
        slug: c.get("parent") if c.get("parent") in by_slug else None for slug, c in by_slug.items()
    }
    ordered = [by_slug[slug] for slug in parents_first(by_slug, parents)]
    documents = [_group(t) for t in teams] + [_component(c) for c in ordered]
    return yaml.safe_dump_all(
        documents, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


# --- CODEOWNERS -----------------------------------------------------------------------------

_COMPONENT_COMMENT = re.compile(r"^#\s*component:\s*(\S*)\s*$", re.IGNORECASE)
_TEAM_OWNER = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9_.-]+)$")
_NAME_OWNER = re.compile(r"^@([A-Za-z0-9_.-]+)$")


@dataclass
class Owner:
    kind: str  # "team" (@org/slug), "name" (@slug: a team or a user) or "email"
    value: str
    org: str = ""
    text: str = ""


@dataclass
class CodeownersRule:
    line: int
    pattern: str
    owners: list
    component: str | None = None  # from a preceding "# component: <slug>" comment


def parse_codeowners(text: str):
    """Read CODEOWNERS lines into rules; return (rules, errors) with line numbers."""
    rules, errors, seen = [], [], {}
    component = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            component = None
            continue
        if line.startswith("#"):
            match = _COMPONENT_COMMENT.match(line)
            if match:
                component = match.group(1) or None
                try:
                    if component:
                        validate_slug(component)
                except ValidationError:
                    errors.append(f"line {number}: {component!r} is not a component slug")
                    component = None
            continue
        # Owners cannot start with "#", so a token starting with it begins a trailing comment.
        tokens = line.split()
        for index, token in enumerate(tokens):
            if token.startswith("#"):
                tokens = tokens[:index]
                break
        pattern, owner_tokens = tokens[0], tokens[1:]
        try:
            compile_glob(pattern)
        except GlobError as exc:
            errors.append(f"line {number}: pattern {pattern!r}: {exc}")
            continue
        if pattern in seen:
            errors.append(
                f"line {number}: pattern {pattern} is repeated (first on line {seen[pattern]})"
            )
            continue
        seen[pattern] = number
        owners = []
        for token in owner_tokens:
            team, name = _TEAM_OWNER.match(token), _NAME_OWNER.match(token)
            if team:
                owners.append(Owner("team", team.group(2), team.group(1), token))
            elif name:
                owners.append(Owner("name", name.group(1), "", token))
            elif "@" in token and not token.startswith("@"):
                try:
                    _validate_email(token)
                except ValidationError:
                    errors.append(f"line {number}: {token!r} is not a valid e-mail address")
                    continue
                owners.append(Owner("email", token, "", token))
            else:
                errors.append(
                    f"line {number}: owner {token!r} is not @org/team, @name or an e-mail address"
                )
        rules.append(CodeownersRule(number, pattern, owners, component))
    return rules, errors


def build_codeowners(*, sections, org: str = "org") -> str:
    """Write CODEOWNERS from (component slug, owner team slug or None, patterns) sections."""
    lines = [
        "# Code owners exported from the Rota component catalog.",
        "# Each section holds one component's path patterns and the team that owns it.",
    ]
    for slug, team, patterns in sorted(sections, key=lambda s: s[0]):
        if not patterns:
            continue
        lines += ["", f"# component: {slug}"]
        owner = f" @{org}/{team}" if team else ""
        lines += [f"{pattern}{owner}" for pattern in sorted(patterns)]
    return "\n".join(lines) + "\n"


def slug_from_pattern(pattern: str) -> str:
    """Derive a component slug from a path pattern, e.g. ``/billing/api/`` -> billing-api."""
    words = re.findall(r"[A-Za-z0-9]+", pattern)
    return "-".join(word.lower() for word in words)[:COMPONENT_SLUG_MAX].strip("-") or "root"
