"""``--prune``: delete what a section of the file leaves out, through the delete services.

Only sections present in the file are pruned (a file without ``teams:`` deletes no team);
people are never deleted. A deletion the services refuse (a team that still owns components,
a rotation a policy uses) is a problem, so the whole import is refused.
"""

from __future__ import annotations

from incidents.models import Integration
from ownership.models import Component, Team
from ownership.services import component_delete, team_delete
from rota.models import Rotation, SprintCalendar, SupportPolicy
from rota.services import rotation_delete, support_policy_delete

from .reader import FAILED


def _delete_integration(*, integration: Integration) -> None:
    integration.delete()


def _delete_calendar(*, calendar: SprintCalendar) -> None:
    calendar.delete()


def _depth(component: Component, parents: dict) -> int:
    depth, node = 0, component.parent_id
    while node is not None and depth < 1000:
        depth, node = depth + 1, parents.get(node)
    return depth


def prune(loader) -> None:
    """Delete the objects of the file's sections that the file does not name."""
    named = loader.named
    plan = []  # (section, kind, label, delete function, keyword arguments), in a safe order
    if "integrations" in loader.doc:
        for obj in Integration.objects.exclude(name__in=named.get("integrations", ())):
            plan.append(("integrations", "integration", obj.name, _delete_integration,
                         {"integration": obj}))  # fmt: skip
    if "support_policies" in loader.doc:
        for obj in SupportPolicy.objects.exclude(name__in=named.get("support_policies", ())):
            plan.append(("support_policies", "support policy", obj.name, support_policy_delete,
                         {"policy": obj}))  # fmt: skip
    if "rotations" in loader.doc:
        gone = Rotation.objects.exclude(name__in=named.get("rotations", ()))
        # Followers before the team rotations they follow.
        for obj in sorted(gone, key=lambda r: (r.follows_team_rotation_id is None, r.name)):
            plan.append(("rotations", "rotation", obj.name, rotation_delete, {"rotation": obj}))
    if "sprint_calendars" in loader.doc:
        for obj in SprintCalendar.objects.exclude(name__in=named.get("sprint_calendars", ())):
            plan.append(("sprint_calendars", "sprint calendar", obj.name, _delete_calendar,
                         {"calendar": obj}))  # fmt: skip
    if "components" in loader.doc:
        parents = dict(Component.objects.values_list("id", "parent_id"))
        gone = Component.objects.exclude(slug__in=named.get("components", ()))
        for obj in sorted(gone, key=lambda c: (-_depth(c, parents), c.slug)):
            plan.append(("components", "component", obj.slug, component_delete,
                         {"component": obj}))  # fmt: skip
    if "teams" in loader.doc:
        for obj in Team.objects.exclude(slug__in=named.get("teams", ())).order_by("slug"):
            plan.append(("teams", "team", obj.slug, team_delete, {"team": obj}))
    for section, kind, label, fn, kwargs in plan:
        where = f'{section} (--prune) "{label}"'
        if loader.write(where, {}, fn, **kwargs) is not FAILED:
            loader.report.delete(kind, label)
