"""Reads of teams, the catalog and its ownership history."""

import threading
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q

from .models import Component, ComponentPath, Membership, OwnershipPeriod, Team
from .paths import PathIndex


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


# --- Path lookup ----------------------------------------------------------------------------

_index_lock = threading.Lock()
_index_cache: dict = {}


def _path_index() -> PathIndex:
    """The compiled index of every path glob, rebuilt only when the globs changed."""
    version = ComponentPath.objects.aggregate(n=Count("id"), last=Max("id"), at=Max("updated_at"))
    key = (version["n"], version["last"], version["at"])
    cached = _index_cache.get("index")
    if cached is not None and cached[0] == key:
        return cached[1]
    with _index_lock:
        index = PathIndex.build(ComponentPath.objects.values_list("pattern", "component_id"))
        _index_cache["index"] = (key, index)
    return index


@dataclass
class PathOwnership:
    path: str
    pattern: str
    component: Component


def ownership_for_path(*, path: str) -> PathOwnership | None:
    """The component whose glob matches ``path`` most specifically, with its owners loaded."""
    match = _path_index().best_match(path)
    if match is None:
        return None
    pattern, component_id = match
    component = component_list().filter(pk=component_id).first()
    if component is None:  # deleted between the two queries
        return None
    return PathOwnership(path=path, pattern=pattern, component=component)
