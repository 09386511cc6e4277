"""Reads of teams, the catalog and its ownership history."""

import threading
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, Q
from django.db.models.functions import Length

from core import caches

from .models import CatalogVersion, Component, ComponentPath, Membership, OwnershipPeriod, Team
from .paths import PathIndex, normalise_path


def team_list():
    return Team.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    )


def component_list():
    return Component.objects.select_related(
        "parent", "owner_team", "effective_owner_team"
    ).prefetch_related(
        Prefetch("paths", queryset=ComponentPath.objects.only("component_id", "pattern"))
    )


def components_owned_by(*, team: Team):
    """Everything the team owns, directly or through an ancestor."""
    return component_list().filter(effective_owner_team=team)


def component_history(*, component: Component):
    return OwnershipPeriod.objects.filter(component=component).select_related("team", "changed_by")


def component_owner_at(*, component: Component, at) -> OwnershipPeriod | None:
    """The ownership period covering instant ``at``, or None before the catalog knew it."""
    return (
        OwnershipPeriod.objects.filter(component=component, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .select_related("team")
        .first()
    )


def managed_team_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values_list(
            "team_id", flat=True
        )
    )


# A team's leadership: who is paged after its on-call people, and who hears about its bugs.
LEADER_ROLES = (Membership.Role.LEAD, Membership.Role.MANAGER)


def leads_and_managers(team_ids) -> dict[int, list[Membership]]:
    """Return {team id: its lead and manager memberships}, users loaded, by username.

    One query (none for no teams); a team with neither is absent from the answer.
    """
    found: dict[int, list[Membership]] = {}
    team_ids = set(team_ids)
    if not team_ids:
        return found
    for membership in (
        Membership.objects.filter(team_id__in=team_ids, role__in=LEADER_ROLES)
        .select_related("user")
        .order_by("user__username")
    ):
        found.setdefault(membership.team_id, []).append(membership)
    return found


# --- Path lookup ----------------------------------------------------------------------------


def catalog_version() -> str:
    """The current catalog version tag (one primary-key read, without the ORM's overhead)."""
    table = connection.ops.quote_name(CatalogVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1")  # noqa: S608 - own table
        row = cursor.fetchone()
    return row[0] if row else ""


class PathLookupCache:
    """Per-process cache of the compiled globs and of lookup answers, valid for one version.

    Compiled globs survive version changes (a pattern compiles the same way forever), so
    rebuilding after an edit costs one query and compiling only the new patterns.
    """

    max_answers = 20_000

    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        self.version = None
        self.index = None
        self.answers = {}
        self.components = {}
        self.compiled = {}

    def index_for(self, version) -> PathIndex:
        if self.version != version or self.index is None:
            with self._lock:
                rows = list(ComponentPath.objects.values_list("pattern", "component_id"))
                self.index = PathIndex.build(rows, compiled=self.compiled)
                self.compiled = {p: self.compiled[p] for p, _ in rows if p in self.compiled}
                self.answers = {}
                self.components = {}
                self.version = version
        return self.index

    def answer(self, version, path):
        index = self.index_for(version)
        key = normalise_path(path)
        if key in self.answers:
            return self.answers[key]
        found = index.best_match(key)
        if len(self.answers) >= self.max_answers:
            self.answers.clear()
        self.answers[key] = found
        return found

    def component(self, component_id):
        component = self.components.get(component_id)
        if component is None:
            component = component_list().filter(pk=component_id).first()
            if component is not None:
                self.components[component_id] = component
        return component


path_lookup_cache = PathLookupCache()
caches.register("ownership.path_lookup", path_lookup_cache.clear)


@dataclass
class PathOwnership:
    path: str
    pattern: str
    component: Component


def ownership_for_path(*, path: str) -> PathOwnership | None:
    """The component whose glob matches ``path`` most specifically, with its owners loaded.

    One query (the catalog version) once the answer is cached in this process.
    """
    return ownership_for_path_versioned(path=path)[0]


def ownership_for_path_versioned(*, path: str) -> tuple[PathOwnership | None, str]:
    """Like ownership_for_path, with the catalog version the answer holds for."""
    version = catalog_version()
    match = path_lookup_cache.answer(version, path)
    if match is None:
        return None, version
    pattern, component_id = match
    component = path_lookup_cache.component(component_id)
    if component is None:  # deleted after the version was read
        return None, version
    return PathOwnership(path=path, pattern=pattern, component=component), version


WILDCARDS = frozenset("*?[")


def components_for_path_fragment(*, fragment: str) -> list[Component]:
    """Return the components whose globs cover a path containing ``fragment``, best first.

    ``fragment`` is a word or part of a path (``invoices``, ``billing/api``, ``pdf/render``),
    read as a piece of a path whose beginning and end are unknown; case does not matter.
    A glob covers such a path when its text contains the fragment (``invoices`` is in
    ``/services/billing/invoices/``), or when the fragment continues the glob's directory
    (``billing/api`` continues ``/services/billing/``: a path inside ``services/billing/api``,
    which the lookup rules then give to the most specific glob). A fragment that continues
    no glob's directory (``orders/v2``) covers nothing by itself. Two queries (the
    candidate globs, their components) plus the lookups' cached answers.
    """
    typed = [part for part in fragment.strip().split("/") if part]
    parts = [part.lower() for part in typed]
    if not parts:
        return []
    wanted = "/".join(parts)
    # Longer globs first: they are the more specific, and their components come first.
    rows = (
        ComponentPath.objects.filter(pattern__icontains=parts[0])
        .order_by(Length("pattern").desc(), "pattern")
        .values_list("pattern", "component_id")
    )
    # Without a file name at its end the fragment names a directory: look inside it.
    inside = [] if "." in typed[-1] else ["_"]
    found: dict[int, None] = {}
    for pattern, component_id in rows:
        if wanted in pattern.lower():
            found.setdefault(component_id, None)
            continue
        # The glob's literal directories, up to the first wildcard.
        directory = []
        for segment in pattern.strip("/").split("/"):
            if WILDCARDS & set(segment):
                break
            directory.append(segment)
        lowered = [segment.lower() for segment in directory]
        for overlap in range(min(len(directory), len(parts)), 0, -1):
            if lowered[-overlap:] == parts[:overlap]:
                path = "/".join(directory + typed[overlap:] + inside)
                match = ownership_for_path(path=path)
                if match is not None:
                    found.setdefault(match.component.pk, None)
                break
    components = component_list().in_bulk(list(found))
    return [components[pk] for pk in found if pk in components]
