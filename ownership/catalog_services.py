"""Import a catalog-info.yaml or CODEOWNERS file into the catalog, and export the catalog.

The file format and its mapping to teams and components are described in
``ownership.catalog``. An import first checks the whole file against the database and
reports every problem; only a file without problems is applied, in one transaction, through
``ownership.services`` so that effective owners and the ownership history stay right. A dry
run applies the file the same way and rolls it back, so its report is exactly what a real
import would do.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from . import catalog, services
from .catalog import CatalogImportError, ImportReport
from .models import Component, ComponentPath, Membership, Team

User = get_user_model()

NOTE = "catalog import"


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _run(apply, *, dry_run: bool) -> ImportReport:
    """Apply in one transaction; roll everything back on any error or for a dry run."""
    report = ImportReport(dry_run=dry_run)
    errors = []
    with transaction.atomic():
        apply(report, errors)
        if errors or dry_run:
            transaction.set_rollback(True)
    if errors:
        raise CatalogImportError(catalog.by_line(errors))
    return report


def _step(errors, where, service, **kwargs):
    """Call a service in a savepoint so that later changes can still be tried and reported."""
    try:
        with transaction.atomic():
            return service(**kwargs)
    except ValidationError as exc:
        errors.append(f"{where}: {_messages(exc)}")
        return None


def _show(value):
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
            details.append(f"{name}: {_show(old.get(name))} -> {_show(value)}")
    return details


def _paths_diff(old, new) -> str:
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
    while cycle := catalog.find_cycle(parents):
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
            team = _step(
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
        _step(errors, where, services.team_update, team=team, members=members, **changes)
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

    for slug in catalog.parents_first(entries, parents):
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
            component = _step(
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
            details.append(_paths_diff(old_paths, paths))
        _step(
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
    parsed = catalog.parse_catalog(text)
    db = _Catalog.load()
    errors = list(parsed.errors)
    parents = _check_catalog(parsed, db, errors)
    if errors:
        raise CatalogImportError(catalog.by_line(errors))

    def apply(report, errors):
        users = _create_users(parsed, report)
        _apply_teams(parsed, db, users, report, errors)
        _apply_components(parsed, db, parents, by, report, errors)
        for skipped in parsed.skipped:
            report.add(
                "skipped", skipped.kind, skipped.name, [f"line {skipped.line}: {skipped.reason}"]
            )

    return _run(apply, dry_run=dry_run)


# --- CODEOWNERS -----------------------------------------------------------------------------


@dataclass
class _Target:
    """What the CODEOWNERS file gives one component."""

    slug: str
    team: Team
    line: int
    patterns: list = field(default_factory=list)  # patterns it does not have yet


class _OwnerResolver:
    """Turn CODEOWNERS owners into teams, remembering the answer for each owner."""

    def __init__(self, org):
        self.org = org
        self.teams = {team.slug: team for team in Team.objects.all()}
        self.folded = {slug.lower(): team for slug, team in self.teams.items()}
        self.cache = {}

    def team(self, slug):
        return self.teams.get(slug) or self.folded.get(slug.lower())

    def resolve(self, owner):
        """Return (team, None) or (None, why not)."""
        if owner.text not in self.cache:
            self.cache[owner.text] = self._resolve(owner)
        return self.cache[owner.text]

    def _resolve(self, owner):
        if owner.kind == "team":
            if self.org and owner.org.lower() != self.org.lower():
                return None, f"{owner.text} is not a team of the organisation {self.org}"
            team = self.team(owner.value)
            return (team, None) if team else (None, f"unknown team {owner.text}")
        if owner.kind == "name":
            team = self.team(owner.value)
            if team:
                return team, None
            users = list(User.objects.filter(username=owner.value))
            if not users:
                return None, f"{owner.text} is neither a team nor a user"
        else:
            users = list(User.objects.filter(email__iexact=owner.value))
            if len(users) != 1:
                found = "no user has" if not users else f"{len(users)} users have"
                return None, f"{found} the e-mail address {owner.text}"
        slugs = sorted(
            Team.objects.filter(memberships__user=users[0]).values_list("slug", flat=True)
        )
        if len(slugs) != 1:
            teams = f"{len(slugs)} teams ({', '.join(slugs)})" if slugs else "no team"
            return None, (
                f"{owner.text} belongs to {teams}; name the owning team (@org/team) instead"
            )
        return self.teams[slugs[0]], None


def _plan_codeowners(rules, org, report, errors):
    resolver = _OwnerResolver(org)
    path_owner = dict(ComponentPath.objects.values_list("pattern", "component__slug"))
    taken = set(Component.objects.values_list("slug", flat=True))
    targets = {}
    for rule in rules:
        if not rule.owners:
            report.add("skipped", "CODEOWNERS line", rule.pattern, [f"line {rule.line}: no owners"])
            continue
        teams, failed = [], False
        for owner in rule.owners:
            team, problem = resolver.resolve(owner)
            if problem:
                errors.append(f"line {rule.line}: {problem}")
                failed = True
            elif team not in teams:
                teams.append(team)
        if failed:
            continue
        if len(teams) > 1:
            others = ", ".join(t.slug for t in teams[1:])
            report.warnings.append(
                f"line {rule.line}: {rule.pattern} names several teams; a component has one "
                f"owner team, so {teams[0].slug} is used and {others} ignored"
            )
        slug = path_owner.get(rule.pattern) or rule.component
        if slug is None:
            base = catalog.slug_from_pattern(rule.pattern)
            slug, number = base, 1
            while slug in taken or slug in targets:
                number += 1
                slug = f"{base[: catalog.COMPONENT_SLUG_MAX - 4]}-{number}"
        target = targets.setdefault(slug, _Target(slug, teams[0], rule.line))
        if target.team != teams[0]:
            errors.append(
                f"line {rule.line}: component {slug} is given to team {target.team.slug} on "
                f"line {target.line} and to {teams[0].slug} here; a component has one owner team"
            )
        if rule.pattern not in path_owner:
            target.patterns.append(rule.pattern)
    return targets


def _apply_codeowners(targets, by, report, errors):
    components = {
        c.slug: c
        for c in Component.objects.filter(slug__in=targets).select_related("effective_owner_team")
    }
    for slug, target in targets.items():
        where = f"line {target.line}: component {slug}"
        component = components.get(slug)
        if component is None:
            created = _step(
                errors,
                where,
                services.component_create,
                name=slug,
                slug=slug,
                kind=Component.Kind.SERVICE,
                owner_team=target.team,
                paths=target.patterns,
                by=by,
                note=NOTE,
            )
            if created is not None:
                details = [f"owner {target.team.slug}", "paths " + ", ".join(target.patterns)]
                report.add("created", "Component", slug, details)
            continue
        # Compare with the effective owner: the export writes it, and a component that
        # inherits its owner must not become directly owned by a round trip.
        changes = {}
        details = []
        if component.effective_owner_team_id != target.team.pk:
            changes["owner_team"] = target.team
            old = component.effective_owner_team
            details.append(f"owner_team: {_show(old)} -> {target.team.slug}")
        paths = None
        if target.patterns:
            old_paths = list(component.paths.values_list("pattern", flat=True))
            paths = old_paths + target.patterns
            details.append(_paths_diff(old_paths, paths))
        if not details:
            report.add("unchanged", "Component", slug)
            continue
        _step(
            errors,
            where,
            services.component_update,
            component=component,
            paths=paths,
            by=by,
            note=NOTE,
            **changes,
        )
        report.add("changed", "Component", slug, details)


def codeowners_import(
    *, text: str, by=None, dry_run: bool = False, org: str | None = None
) -> ImportReport:
    """Attach CODEOWNERS patterns and owners to components; raise on any problem.

    A pattern goes to the component that already has it, else to the one named by the
    ``# component:`` comment above it (created when new), else to a new service component
    named after the pattern; that component's owner team becomes the line's (first) team.
    Patterns are only added, never taken away. ``org``, when given, is the only GitHub
    organisation whose ``@org/team`` owners count.
    """
    rules, errors = catalog.parse_codeowners(text)
    preview = ImportReport(dry_run=dry_run)
    targets = _plan_codeowners(rules, org, preview, errors)
    if not rules and not errors:
        errors.append("The file holds no CODEOWNERS rules.")
    if errors:
        raise CatalogImportError(catalog.by_line(errors))

    def apply(report, errors):
        _apply_codeowners(targets, by, report, errors)
        report.entries += preview.entries
        report.warnings += preview.warnings

    return _run(apply, dry_run=dry_run)


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
    return catalog.build_catalog(teams=team_data, components=component_data)


def codeowners_export(*, components=None, org: str = "org") -> str:
    """Write CODEOWNERS: each component's patterns, owned by its effective owner team."""
    queryset = components if components is not None else Component.objects.all()
    queryset = queryset.select_related("effective_owner_team").prefetch_related("paths")
    sections = [
        (
            c.slug,
            c.effective_owner_team.slug if c.effective_owner_team else None,
            [p.pattern for p in c.paths.all()],
        )
        for c in queryset
    ]
    return catalog.build_codeowners(sections=sections, org=org)
