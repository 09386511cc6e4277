"""Writes to teams, memberships and the component catalog.

Every change of a component's owner or parent goes through ``ownership_recompute`` so that the
denormalised ``effective_owner_team`` and the dated ownership history stay right.
"""

import contextlib
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.permissions import is_rota_admin
from core.services import apply_fields, version_touch

from .models import CatalogVersion, Component, ComponentPath, Membership, OwnershipPeriod, Team
from .paths import GlobError, canonical_pattern
from .signals import team_holidays_changed

User = get_user_model()

TEAM_FIELDS = (
    "name",
    "slug",
    "kind",
    "description",
    "email",
    "chat_webhook_url",
    "chat_channel",
    "timezone",
    "public_holidays",
    "triage_day",
    "triage_time",
)
COMPONENT_FIELDS = (
    "name",
    "slug",
    "kind",
    "description",
    "parent",
    "owner_team",
    "tier",
    "repository_url",
    "runbook_url",
    "dashboard_url",
)


def catalog_touch() -> None:
    """Bump the catalog version so every process's lookup cache sees the change."""
    version_touch(CatalogVersion, field="version")


# --- Teams ----------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, members: Iterable[tuple] | None = None, **data) -> Team:
    """Create a team; members is an iterable of (user, role)."""
    team = Team()
    apply_fields(team, TEAM_FIELDS, data)
    team.full_clean()
    team.save()
    if members is not None:
        team_set_members(team=team, members=members)
    if team.public_holidays:
        team_public_holidays_changed(team=team)
    return team


@transaction.atomic
def team_update(*, team: Team, members: Iterable[tuple] | None = None, by=None, **data) -> Team:
    """Change a team's fields; members, when given, replaces the whole membership list.

    ``by`` is the person asking (see :func:`team_set_members` for what a manager may not do).
    """
    before = team.public_holidays
    apply_fields(team, TEAM_FIELDS, data)
    team.full_clean()
    team.save()
    if team.public_holidays != before:
        team_public_holidays_changed(team=team)
    if members is not None:
        team_set_members(team=team, members=members, by=by)
    catalog_touch()
    return team


def team_public_holidays_changed(*, team: Team) -> None:
    """Write the team's public holidays for its new ``public_holidays`` code, at once.

    The rota keeps them as the team's unavailability (see ``rota.services.public_holidays``):
    it listens to :data:`ownership.signals.team_holidays_changed`, since this app sits below
    the rota and does not import it.
    """
    team_holidays_changed.send(sender=Team, team=team)


ROTA_ADMIN_MEMBERSHIP_MESSAGE = (
    "Only rota admins add, remove or change the membership of a rota admin ({names})."
)


def rota_admins_among(users) -> list:
    """Return those of ``users`` who are rota admins (superusers, or staff in "Rota admins")."""
    return [user for user in users if is_rota_admin(user)]


@transaction.atomic
def team_set_members(*, team: Team, members: Iterable[tuple], by=None) -> None:
    """Make the team's memberships exactly the given (user, role) pairs.

    When ``by`` (the person asking) is not a rota admin, adding, removing or re-roling a rota
    admin raises ``PermissionDenied`` and nothing changes: a membership is a reach into that
    person's pages and leave (DESIGN §4), which a team's manager must not take over for the
    people who run the whole site.
    """
    members = list(members)
    wanted = {}
    for user, role in members:
        if role not in Membership.Role.values:
            raise ValidationError({"members": f"Unknown role {role!r} for {user.username}."})
        if user.pk in wanted:
            raise ValidationError({"members": f"{user.username} is listed twice."})
        wanted[user.pk] = role
    existing = {m.user_id: m for m in team.memberships.select_related("user")}
    if by is not None and not is_rota_admin(by):
        people = {user.pk: user for user, _ in members}
        people.update({m.user_id: m.user for m in existing.values()})
        touched = [
            people[pk]
            for pk in set(wanted) | set(existing)
            if pk not in existing or pk not in wanted or existing[pk].role != wanted[pk]
        ]
        admins = rota_admins_among(touched)
        if admins:
            names = ", ".join(sorted(user.username for user in admins))
            raise PermissionDenied(ROTA_ADMIN_MEMBERSHIP_MESSAGE.format(names=names))
    Membership.objects.filter(team=team).exclude(user_id__in=wanted).delete()
    for user_id, role in wanted.items():
        membership = existing.get(user_id)
        if membership is None:
            Membership.objects.create(team=team, user_id=user_id, role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    catalog_touch()  # routing's escalation path (leads, managers) reads memberships


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team; refused while it owns components (ownership must move first)."""
    owned = Component.objects.filter(owner_team=team).count()
    if owned:
        raise ValidationError(
            f"{team.name} still owns {owned} component(s); give them to another team first."
        )
    if OwnershipPeriod.objects.filter(team=team).exists():
        raise ValidationError(
            f"{team.name} appears in the ownership history; it cannot be deleted, "
            "only renamed or emptied."
        )
    team.delete()
    catalog_touch()


# --- Components -----------------------------------------------------------------------------


@transaction.atomic
def component_create(
    *, paths: Iterable[str] | None = None, by=None, note: str = "", at=None, **data
) -> Component:
    """Create a component with its path globs and start its ownership history."""
    component = Component()
    apply_fields(component, COMPONENT_FIELDS, data)
    component.full_clean(exclude=["effective_owner_team"])
    component.save()
    if paths is not None:
        component_set_paths(component=component, patterns=paths)
    ownership_recompute(by=by, note=note or "created", touched=[component.pk], at=at)
    component.refresh_from_db()
    return component


@transaction.atomic
def component_update(
    *,
    component: Component,
    paths: Iterable[str] | None = None,
    by=None,
    note: str = "",
    at=None,
    **data,
) -> Component:
    """Change a component; a new owner or parent is recorded in the history, dated ``at``."""
    apply_fields(component, COMPONENT_FIELDS, data)
    component.full_clean(exclude=["effective_owner_team"])
    component.save()
    if paths is not None:
        component_set_paths(component=component, patterns=paths)
    if "owner_team" in data or "parent" in data:
        ownership_recompute(by=by, note=note or "owner changed", touched=[component.pk], at=at)
        component.refresh_from_db()
    catalog_touch()
    return component


@transaction.atomic
def component_delete(*, component: Component) -> None:
    """Delete a component; refused while other components sit inside it."""
    children = component.children.count()
    if children:
        raise ValidationError(
            f"{component.name} contains {children} component(s); move or delete them first."
        )
    component.delete()
    catalog_touch()


@transaction.atomic
def component_set_paths(*, component: Component, patterns: Iterable[str]) -> None:
    """Make the component's path globs exactly the given patterns.

    Each pattern is first put in its stored form (``ownership.paths.canonical_pattern``), so
    ``/a\\ b/`` and ``/a b/`` are the same pattern. Raises ValidationError on ``paths`` for a
    pattern that is unusable or belongs to another component.
    """
    wanted = []
    for pattern in patterns:
        with contextlib.suppress(GlobError):  # the field's validator below reports it
            pattern = canonical_pattern(pattern)
        if pattern not in wanted:
            wanted.append(pattern)
    taken = {
        pattern: (slug, name)
        for pattern, slug, name in ComponentPath.objects.filter(pattern__in=wanted)
        .exclude(component=component)
        .values_list("pattern", "component__slug", "component__name")
    }
    if taken:
        raise ValidationError(
            {
                "paths": [
                    f"{pattern} is already owned by {slug} ({name})."
                    for pattern, (slug, name) in sorted(taken.items())
                ]
            }
        )
    errors = []
    for pattern in wanted:
        try:
            ComponentPath(component=component, pattern=pattern).clean_fields(exclude=["component"])
        except ValidationError as exc:
            errors += [f"{pattern}: {m}" for m in exc.messages]
    if errors:
        raise ValidationError({"paths": errors})
    component.paths.exclude(pattern__in=wanted).delete()
    have = set(component.paths.values_list("pattern", flat=True))
    ComponentPath.objects.bulk_create(
        [ComponentPath(component=component, pattern=p) for p in wanted if p not in have]
    )
    catalog_touch()


def _effective_owners(rows):
    """Map component id -> (effective team id, inherited) from (id, parent_id, owner_id) rows."""
    parent = {}
    owner = {}
    for pk, parent_id, owner_id in rows:
        parent[pk] = parent_id
        owner[pk] = owner_id
    result = {}

    def resolve(pk):
        chain = []
        node = pk
        while node is not None and node not in result:
            if owner[node] is not None:
                result[node] = (owner[node], False)
                break
            chain.append(node)
            node = parent.get(node)
            if node in chain:  # a cycle can only come from raw SQL; stop rather than spin
                break
        inherited_team = result[node][0] if node in result else None
        for item in chain:
            result[item] = (inherited_team, inherited_team is not None)

    for pk in parent:
        if pk not in result:
            resolve(pk)
    return result


@transaction.atomic
def ownership_recompute(*, by=None, note: str = "", touched: Iterable[int] = (), at=None) -> int:
    """Bring effective owners and ownership history up to date; return how many changed.

    ``touched`` names components edited just now, whose history must be checked even when
    their effective team did not change (e.g. inherited ownership became direct).
    """
    at = at or timezone.now()
    rows = list(
        Component.objects.select_for_update().values_list(
            "id", "parent_id", "owner_team_id", "effective_owner_team_id"
        )
    )
    stored = {pk: effective for pk, _, _, effective in rows}
    computed = _effective_owners([(pk, parent, owner) for pk, parent, owner, _ in rows])

    changed_team = [pk for pk, (team_id, _) in computed.items() if stored[pk] != team_id]
    candidates = set(changed_team) | {pk for pk in touched if pk in computed}
    if not candidates:
        return 0
    catalog_touch()

    open_periods = {
        p.component_id: p
        for p in OwnershipPeriod.objects.filter(component_id__in=candidates, valid_to__isnull=True)
    }
    to_close, to_create, to_amend = [], [], []
    for pk in candidates:
        team_id, inherited = computed[pk]
        current = open_periods.get(pk)
        if current is not None and (current.team_id, current.inherited) == (team_id, inherited):
            continue
        if current is not None and current.valid_from >= at:
            # The open period has no length yet: correct it instead of closing it.
            current.team_id, current.inherited, current.note = team_id, inherited, note
            current.changed_by = by
            to_amend.append(current)
            continue
        if current is not None:
            current.valid_to = at
            to_close.append(current)
        to_create.append(
            OwnershipPeriod(
                component_id=pk,
                team_id=team_id,
                inherited=inherited,
                valid_from=at,
                changed_by=by,
                note=note[:200],
            )
        )
    OwnershipPeriod.objects.bulk_update(to_close, ["valid_to"])
    OwnershipPeriod.objects.bulk_update(to_amend, ["team", "inherited", "note", "changed_by"])
    OwnershipPeriod.objects.bulk_create(to_create)

    if changed_team:
        updates = [Component(pk=pk, effective_owner_team_id=computed[pk][0]) for pk in changed_team]
        Component.objects.bulk_update(updates, ["effective_owner_team"], batch_size=500)
    return len(changed_team)
