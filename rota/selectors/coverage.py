"""Which components a rotation answers for, as the support policies route them.

The rules are routing's (:func:`rota.routing.responders`, DESIGN §3.3), read the other way
round: a component follows the policy that names it or its nearest ancestor, else the
default policy (none at all means total ownership), and then

* *ownership*: the person rotations of the component's (effective) owning team respond;
* *dedicated*: the person rotations of the policy's dedicated team respond;
* *rotating*: the team rotation itself, the person rotations that follow it, and the person
  rotations of whichever team is on the team rotation at the instant asked about respond;
* a policy's *first line* rotation is paged first for all its components.
"""

import datetime

from ownership.models import Component

from ..models import Rotation, SupportPolicy, SupportPolicyComponent
from .instant import oncall_for


def _policies_by_component(components) -> dict[int, SupportPolicy | None]:
    """Return the policy that applies to each component (three queries, whatever the count)."""
    policies = {
        p.pk: p
        for p in SupportPolicy.objects.only(
            "pk", "model", "team_rotation_id", "dedicated_team_id", "first_line_rotation_id"
        )
    }
    linked = dict(SupportPolicyComponent.objects.values_list("component_id", "policy_id"))
    named = set(linked.values())
    default = next((p for pk, p in policies.items() if pk not in named), None)
    parents = {c.pk: c.parent_id for c in components}
    found = {}
    for component in components:
        node, seen = component.pk, set()
        while node is not None and node not in linked and node not in seen:
            seen.add(node)
            node = parents.get(node)
        found[component.pk] = policies[linked[node]] if node in linked else default
    return found


def components_covered(*, rotation: Rotation, at: datetime.datetime) -> list[Component]:
    """Return the components whose incidents ``rotation``'s people answer for at ``at``.

    ``at`` is an aware instant (it matters for rotating support: which team is on shift).
    Components come in name order, with their ``runbook_url``. A handful of queries.
    """
    components = list(
        Component.objects.only(
            "pk", "name", "slug", "parent_id", "effective_owner_team_id", "runbook_url"
        )
    )
    policies = _policies_by_component(components)
    person = rotation.kind == Rotation.Kind.PERSON
    on_shift = {}

    def team_on(team_rotation_id):
        if team_rotation_id not in on_shift:
            team_rotation = Rotation.objects.get(pk=team_rotation_id)
            segment = oncall_for([team_rotation], at)[team_rotation_id]
            on_shift[team_rotation_id] = segment.team.pk if segment and segment.team else None
        return on_shift[team_rotation_id]

    def covers(component, policy) -> bool:
        if policy is not None and policy.first_line_rotation_id == rotation.pk:
            return True
        model = policy.model if policy is not None else SupportPolicy.Model.OWNERSHIP
        if model == SupportPolicy.Model.OWNERSHIP:
            return (
                person
                and rotation.team_id is not None
                and (rotation.team_id == component.effective_owner_team_id)
            )
        if model == SupportPolicy.Model.DEDICATED:
            return (
                person
                and rotation.team_id is not None
                and (rotation.team_id == policy.dedicated_team_id)
            )
        team_rotation_id = policy.team_rotation_id
        if team_rotation_id is None:
            return False
        if rotation.pk == team_rotation_id or rotation.follows_team_rotation_id == team_rotation_id:
            return True
        return (
            person
            and rotation.team_id is not None
            and (rotation.team_id == team_on(team_rotation_id))
        )

    return sorted(
        (c for c in components if covers(c, policies[c.pk])), key=lambda c: (c.name, c.pk)
    )
