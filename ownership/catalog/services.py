"""Import a catalog-info.yaml file into the catalog, and export the catalog as one.

The file format and its mapping to teams and components are described in
``ownership.catalog.backstage``. An import first checks the whole file against the database
and reports every problem; only a file without problems is applied, in one transaction, through
``ownership.services`` so that effective owners and the ownership history stay right. A dry
run applies the file the same way and rolls it back, so its report is exactly what a real
import would do. The CODEOWNERS import (``ownership.catalog.codeowners_services``) shares
the helpers here.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from .. import services
from ..models import Component, ComponentPath, Membership, Team
from .backstage import find_cycle, parents_first, parse_catalog
from .backstage_build import build_catalog
from .report import CatalogImportError, ImportReport, by_line

User = get_user_model()

NOTE = "catalog import"


# --- Shared with the CODEOWNERS import ------------------------------------------------------


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def run_import(apply, *, dry_run: bool) -> ImportReport:
    """Apply in one transaction; roll everything back on any error or for a dry run."""
    report = ImportReport(dry_run=dry_run)
    errors = []
    with transaction.atomic():
        apply(report, errors)
        if errors or dry_run:
            transaction.set_rollback(True)
    if errors:
        raise CatalogImportError(by_line(errors))
    return report


def call_service(errors, where, service, **kwargs):
    """Call a service in a savepoint so that later changes can still be tried and reported."""
    try:
        with transaction.atomic():
            return service(**kwargs)
    except ValidationError as exc:
        errors.append(f"{where}: {_messages(exc)}")
        return None


def show(value):
    """Render a value for a report line: a slug, "(empty)" or the value itself."""
    if isinstance(value, Team | Component):
        return value.slug
    if value in ("", None):
        return "(empty)"
    return repr(value) if isinstance(value, str) else str(value)


def _describe(changes: dict, old: dict) -> list:
    details = []
    for name, value in changes.items():
        if name == "description":
            details.append("description changed")
        else:
            details.append(f"{name}: {show(old.get(name))} -> {show(value)}")
    return details


def paths_diff(old, new) -> str:
    """Describe how a component's paths change, e.g. ``paths: +/new/, -/old/``."""
    added = [f"+{p}" for p in new if p not in old]
    removed = [f"-{p}" for p in old if p not in new]
    return "paths: " + ", ".join(added + removed)


# --- catalog-info.yaml ----------------------------------------------------------------------


@dataclass
class _Catalog:
    """What the database holds, loaded once for the checks and the changes."""

    teams: dict  # slug -> Team
    components: dict  # slug -> Component (parent and owner loaded)
    paths: dict  # slug -> [pattern]
    path_owner: dict  # pattern -> component slug

    @classmethod
    def load(cls):
        teams = {
            team.slug: team
            for team in Team.objects.prefetch_related(
                Prefetch("memberships", queryset=Membership.objects.select_related("user"))
            )
        }
        components = {c.slug: c for c in Component.objects.select_related("parent", "owner_team")}
        paths, path_owner = {}, {}
        for pattern, slug in ComponentPath.objects.values_list("pattern", "component__slug"):
            paths.setdefault(slug, []).append(pattern)
            path_owner[pattern] = slug
        return cls(teams, components, paths, path_owner)


def _check_catalog(parsed, db: _Catalog, errors):
    """Record every way the parsed file contradicts the database or itself."""
    names = {slug: team.name for slug, team in db.teams.items()}
    for entry in parsed.teams:
        names[entry.slug] = entry.fields.get("name", names.get(entry.slug))
    holders = {}
    for slug, name in names.items():
        holders.setdefault(name, []).append(slug)
    for entry in parsed.teams:
        others = [s for s in holders[names[entry.slug]] if s != entry.slug]
        if others:
            errors.append(
                f"line {entry.line}: Group {entry.slug}: the team name "
                f"{names[entry.slug]!r} is also the name of team {', '.join(sorted(others))}"
            )

    team_slugs = set(db.teams) | {entry.slug for entry in parsed.teams}
    entries = {entry.slug: entry for entry in parsed.components}
    component_slugs = set(db.components) | set(entries)
    parents = {slug: c.parent.slug if c.parent else None for slug, c in db.components.items()}
    for entry in parsed.components:
        owner = entry.fields.get("owner_team")
        if owner and owner not in team_slugs:
            errors.append(
                f"{entry.where('owner_team')}: owner {owner!r} is not a Group in this file "
                "nor a team in Rota"
            )
        if "parent" in entry.fields:
            parent = entry.fields["parent"]
            if parent and parent not in component_slugs:
                errors.append(
                    f"{entry.where('parent')}: parent {parent!r} is not a Component or System "
                    "in this file nor a component in Rota"
                )
                parent = None
            parents[entry.slug] = parent
        for pattern in entry.paths or ():
            holder = db.path_owner.get(pattern)
            moved_away = holder in entries and entries[holder].paths is not None
            if holder and holder != entry.slug and not moved_away:
                errors.append(
                    f"{entry.where('paths')}: path {pattern!r} belongs to component {holder}, "
                    "which this file does not change"
                )
    while cycle := find_cycle(parents):
        first = next((entries[s] for s in cycle if s in entries), None)
        line = f"line {first.lines.get('parent', first.line)}: " if first else ""
        errors.append(f"{line}parents form a cycle: {' -> '.join(cycle)}")
        parents[cycle[0]] = None
    return parents


def _create_users(parsed, report) -> dict:
    wanted = {username for entry in parsed.teams for username, _ in entry.members or ()}
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    for username in sorted(wanted - set(users)):
        # No password: the person signs in after a password reset (or through SSO).
        users[username] = User.objects.create_user(username=username)
        report.add("created", "User", username, ["without a usable password"])
    return users


def _member_changes(team, wanted) -> list:
    old = {m.user.username: m.role for m in team.memberships.all()} if team else {}
    new = {user.username: role for user, role in wanted}
    details = [f"+{u} ({r})" for u, r in new.items() if u not in old]
    details += [f"-{u}" for u in old if u not in new]
    details += [f"{u}: {old[u]} -> {r}" for u, r in new.items() if u in old and old[u] != r]
    return details


def _apply_teams(parsed, db, users, report, errors):
    for entry in parsed.teams:
        team = db.teams.get(entry.slug)
        members = None
        if entry.members is not None:
            current = {m.user.username: m.role for m in team.memberships.all()} if team else {}
            members = [
                (users[u], current[u] if entry.keep_roles and u in current else role)
                for u, role in entry.members
            ]
        where = f"line {entry.line}: Group {entry.slug}"
        if team is None:
            team = call_service(
                errors,
                where,
                services.team_create,
                slug=entry.slug,
                members=members,
                **entry.fields,
            )
            if team is not None:
                db.teams[entry.slug] = team
                details = [f"name {team.name!r}", f"timezone {team.timezone}"]
                details.append(f"{len(members or ())} member(s)")
                report.add("created", "Group", entry.slug, details)
            continue
        changes = {k: v for k, v in entry.fields.items() if getattr(team, k) != v}
        member_details = _member_changes(team, members) if members is not None else []
        if not changes and not member_details:
            report.add("unchanged", "Group", entry.slug)
            continue
        details = _describe(changes, {k: getattr(team, k) for k in changes})
        if member_details:
            details.append("members: " + ", ".join(member_details))
        members = members if member_details else None
        call_service(errors, where, services.team_update, team=team, members=members, **changes)
        report.add("changed", "Group", entry.slug, details)


def _apply_components(parsed, db, parents, by, report, errors):
    entries = {entry.slug: entry for entry in parsed.components}
    # Free the patterns that move to another component before any component takes them.
    for entry in parsed.components:
        component = db.components.get(entry.slug)
        old = db.paths.get(entry.slug, [])
        if component is not None and entry.paths is not None:
            keep = [p for p in old if p in entry.paths]
            if len(keep) < len(old):
                services.component_set_paths(component=component, patterns=keep)

    for slug in parents_first(entries, parents):
        entry = entries[slug]
        where = entry.where()
        values = dict(entry.fields)
        missing = False
        for name, known in (("owner_team", db.teams), ("parent", db.components)):
            if values.get(name):
                values[name] = known.get(values[name])
                # Both were checked to exist, so only a failed save (already reported) loses one.
                missing = missing or values[name] is None
        if missing:
            continue
        component = db.components.get(slug)
        if component is None:
            component = call_service(
                errors,
                where,
                services.component_create,
                slug=slug,
                paths=entry.paths,
                by=by,
                note=NOTE,
                **values,
            )
            if component is not None:
                db.components[slug] = component
                report.add("created", entry.kind, slug, _created_details(component, entry.paths))
            continue
        old = {name: getattr(component, name) for name in values}
        changes = {k: v for k, v in values.items() if old[k] != v}
        old_paths = db.paths.get(slug, [])
        paths = entry.paths
        if paths is not None and set(paths) == set(old_paths):
            paths = None
        if not changes and paths is None:
            report.add("unchanged", entry.kind, slug)
            continue
        details = _describe(changes, old)
        if paths is not None:
            details.append(paths_diff(old_paths, paths))
        call_service(
            errors,
            where,
            services.component_update,
            component=component,
            paths=paths,
            by=by,
            note=NOTE,
            **changes,
        )
        report.add("changed", entry.kind, slug, details)


def _created_details(component, paths) -> list:
    details = [f"kind {component.kind}", f"tier {component.tier}"]
    if component.owner_team:
        details.append(f"owner {component.owner_team.slug}")
    if component.parent:
        details.append(f"parent {component.parent.slug}")
    if paths:
        details.append("paths " + ", ".join(paths))
    return details


def catalog_import(*, text: str, by=None, dry_run: bool = False) -> ImportReport:
    """Create and update teams and components from Backstage entities; raise on any problem."""
    parsed = parse_catalog(text)
    db = _Catalog.load()
    errors = list(parsed.errors)
    parents = _check_catalog(parsed, db, errors)
    if errors:
        raise CatalogImportError(by_line(errors))

    def apply(report, errors):
        users = _create_users(parsed, report)
        _apply_teams(parsed, db, users, report, errors)
        _apply_components(parsed, db, parents, by, report, errors)
        for skipped in parsed.skipped:
            report.add(
                "skipped", skipped.kind, skipped.name, [f"line {skipped.line}: {skipped.reason}"]
            )

    return run_import(apply, dry_run=dry_run)


# --- Export ---------------------------------------------------------------------------------


def _with_ancestors(components) -> set:
    parent_of = dict(Component.objects.values_list("id", "parent_id"))
    ids = set()
    for pk in components.values_list("pk", flat=True):
        while pk is not None and pk not in ids:
            ids.add(pk)
            pk = parent_of.get(pk)
    return ids


def catalog_export(*, components=None) -> str:
    """Write the catalog as catalog-info.yaml; ``components`` limits it to a queryset.

    A limited export also holds the ancestors and owner teams of the chosen components, so
    that the file imports on its own.
    """
    queryset = Component.objects.select_related("parent", "owner_team").prefetch_related(
        Prefetch("paths", queryset=ComponentPath.objects.order_by("pattern"))
    )
    teams = Team.objects.all()
    if components is not None:
        queryset = queryset.filter(pk__in=_with_ancestors(components))
        teams = teams.filter(owned_components__in=queryset).distinct()
    teams = teams.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("user").order_by("user__username"),
        )
    )
    team_data = [
        {
            "slug": team.slug,
            "name": team.name,
            "description": team.description,
            "email": team.email,
            "timezone": team.timezone,
            "chat_webhook_url": team.chat_webhook_url,
            "chat_channel": team.chat_channel,
            "members": [(m.user.username, m.role) for m in team.memberships.all()],
        }
        for team in teams
    ]
    component_data = [
        {
            "slug": c.slug,
            "name": c.name,
            "kind": c.kind,
            "description": c.description,
            "owner": c.owner_team.slug if c.owner_team else None,
            "parent": c.parent.slug if c.parent else None,
            "parent_kind": c.parent.kind if c.parent else None,
            "tier": c.tier,
            "repository_url": c.repository_url,
            "runbook_url": c.runbook_url,
            "dashboard_url": c.dashboard_url,
            "paths": [p.pattern for p in c.paths.all()],
        }
        for c in queryset
    ]
    return build_catalog(teams=team_data, components=component_data)
