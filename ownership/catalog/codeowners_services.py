"""Import a CODEOWNERS file into the catalog, and export the catalog as one.

The format is described in ``ownership.catalog.codeowners``; the import is checked, applied
and reported like the catalog-info.yaml import in ``ownership.catalog.services``.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from .. import services
from ..models import Component, ComponentPath, Team
from .backstage import COMPONENT_SLUG_MAX
from .codeowners import build_codeowners, parse_codeowners, slug_from_pattern
from .report import CatalogImportError, ImportReport, by_line
from .services import NOTE, call_service, paths_diff, run_import, show

User = get_user_model()


@dataclass
class _Target:
    """What the CODEOWNERS file gives one component."""

    slug: str
    team: Team | None  # None: only lines without owners (GitHub: nobody owns those files)
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
        if rule.pattern.startswith("\\#"):
            # GitHub's CODEOWNERS documentation: escaping a leading # "doesn't work" there.
            report.warnings.append(
                f"line {rule.line}: {rule.pattern} names a path starting with #, as in git and "
                "GitLab; GitHub ignores an escaped leading # in CODEOWNERS"
            )
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
            base = slug_from_pattern(rule.pattern)
            slug, number = base, 1
            while slug in taken or slug in targets:
                number += 1
                slug = f"{base[: COMPONENT_SLUG_MAX - 4]}-{number}"
        team = teams[0] if teams else None
        target = targets.setdefault(slug, _Target(slug, team, rule.line))
        if target.team is None and team is not None:
            target.team, target.line = team, rule.line  # the first line that names an owner
        elif team is not None and target.team != team:
            errors.append(
                f"line {rule.line}: component {slug} is given to team {target.team.slug} on "
                f"line {target.line} and to {team.slug} here; a component has one owner team"
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
            created = call_service(
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
                owner = f"owner {target.team.slug}" if target.team else "no owner"
                details = [owner, "paths " + ", ".join(target.patterns)]
                report.add("created", "Component", slug, details)
            continue
        # Compare with the effective owner: the export writes it, and a component that
        # inherits its owner must not become directly owned by a round trip.
        changes = {}
        details = []
        if target.team is None:
            if component.effective_owner_team_id is not None:
                # Lines without owners never take an owner away: the import only adds.
                report.warnings.append(
                    f"line {target.line}: component {slug} has no owners in CODEOWNERS; it "
                    f"keeps its owner team {component.effective_owner_team.slug}"
                )
        elif component.effective_owner_team_id != target.team.pk:
            changes["owner_team"] = target.team
            old = component.effective_owner_team
            details.append(f"owner_team: {show(old)} -> {target.team.slug}")
        paths = None
        if target.patterns:
            old_paths = list(component.paths.values_list("pattern", flat=True))
            paths = old_paths + target.patterns
            details.append(paths_diff(old_paths, paths))
        if not details:
            report.add("unchanged", "Component", slug)
            continue
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
        report.add("changed", "Component", slug, details)


def codeowners_import(
    *, text: str, by=None, dry_run: bool = False, org: str | None = None
) -> ImportReport:
    """Attach CODEOWNERS patterns and owners to components; raise on any problem.

    A pattern goes to the component that already has it, else to the one named by the
    ``# component:`` comment above it (created when new), else to a new service component
    named after the pattern; that component's owner team becomes the line's (first) team.
    A line without owners (GitHub: "nobody owns matching files"; the export writes one for a
    component without an owner) attaches its pattern the same way, to a component created
    without an owner team; an owner the component has is kept, with a warning. Patterns and
    owners are only added, never taken away. ``org``, when given, is the only GitHub
    organisation whose ``@org/team`` owners count.
    """
    rules, errors = parse_codeowners(text)
    preview = ImportReport(dry_run=dry_run)
    targets = _plan_codeowners(rules, org, preview, errors)
    if not rules and not errors:
        errors.append("The file holds no CODEOWNERS rules.")
    if errors:
        raise CatalogImportError(by_line(errors))

    def apply(report, errors):
        _apply_codeowners(targets, by, report, errors)
        report.entries += preview.entries
        report.warnings += preview.warnings

    return run_import(apply, dry_run=dry_run)


def codeowners_export(*, components=None, org: str = "org") -> str:
    """Write CODEOWNERS: each component's patterns, owned by its effective owner team.

    A component without one gets its patterns with no owners, which in CODEOWNERS means
    nobody owns those files (and overrides broader lines above); the import reads them back
    as patterns of an unowned component.
    """
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
    return build_codeowners(sections=sections, org=org)
