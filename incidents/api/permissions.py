"""Who may do what in the incidents API, in one module.

* **Incidents**: everyone signed in reads, opens incidents, acknowledges and adds notes
  (whoever notices first may stop the paging). Mitigating, resolving and editing are for the
  responders: the people routed to it, the one who acknowledged it, members of the responding
  or owning team, and rota admins.
* **Bugs**: everyone signed in reads and files bugs; the fixing team's members (and rota admins)
  edit, start the investigation and decide the outcome.
* **Integrations** hold secrets: rota admins, and managers of the team that owns the integration's
  component, see and change them. An integration without a component is the rota admins'.
* **Escalation policies**: everyone signed in reads them; rota admins, and managers of a team the
  support policy makes respond (see ``support_policy_team_ids``), change them. The default
  row (no support policy) is the rota admins'.
"""

from core.permissions import (
    ReadOrManage,
    can_manage_team,
    request_is_rota_admin,
    user_managed_team_ids,
)
from ownership.models import Component, Membership
from rota.models import RotationParticipant, SupportPolicy, SupportPolicyComponent


def _member_of(request, team_ids) -> bool:
    team_ids = [pk for pk in team_ids if pk is not None]
    return (
        bool(team_ids)
        and Membership.objects.filter(user=request.user, team_id__in=team_ids).exists()
    )


def can_respond(request, incident) -> bool:
    """Return whether the caller may mitigate, resolve or edit ``incident``."""
    if request_is_rota_admin(request):
        return True
    people = {
        incident.responder_id,
        incident.secondary_responder_id,
        incident.first_line_responder_id,
        incident.acknowledged_by_id,
    }
    if request.user.pk in people:
        return True
    return _member_of(request, [incident.responding_team_id, incident.owning_team_id])


def can_work_on_bug(request, bug) -> bool:
    """Return whether the caller may change ``bug``: staff or a member of its team."""
    return request_is_rota_admin(request) or _member_of(request, [bug.team_id])


def may_see_integrations(request) -> bool:
    return request_is_rota_admin(request) or bool(user_managed_team_ids(request))


def can_manage_integration_component(request, component) -> bool:
    """Return whether the caller may attach an integration to ``component`` (None: staff)."""
    if request_is_rota_admin(request):
        return True
    if component is None:
        return False
    return can_manage_team(request, component.effective_owner_team_id)


class IntegrationPermission(ReadOrManage):
    """Integrations: staff and team managers only, even for reading."""

    message = "Only staff and managers of the team owning the component manage integrations."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and may_see_integrations(request)


def support_policy_team_ids(policy: SupportPolicy | None) -> set[int]:
    """Return the teams whose people a support policy pages, whose managers set its delays.

    Dedicated: the support team. Rotating: the teams of its team rotation. Ownership: the
    effective owners of its components and everything inside them that no other policy
    names (none for the
    organisation's default policy, which covers everything: staff set that). Any model: the
    team of its first-line rotation.
    """
    if policy is None:
        return set()
    teams = set()
    if policy.first_line_rotation_id is not None and policy.first_line_rotation.team_id:
        teams.add(policy.first_line_rotation.team_id)
    if policy.model == SupportPolicy.Model.DEDICATED and policy.dedicated_team_id:
        teams.add(policy.dedicated_team_id)
    elif policy.model == SupportPolicy.Model.ROTATING and policy.team_rotation_id:
        teams |= set(
            RotationParticipant.objects.filter(
                rotation_id=policy.team_rotation_id, team__isnull=False
            ).values_list("team_id", flat=True)
        )
    elif policy.model == SupportPolicy.Model.OWNERSHIP:
        roots = list(policy.components.values_list("pk", flat=True))
        if roots:
            rows = Component.objects.values_list("pk", "parent_id", "effective_owner_team_id")
            children, owner = {}, {}
            for pk, parent_id, team_id in rows:
                children.setdefault(parent_id, []).append(pk)
                owner[pk] = team_id
            # A component another policy names follows that policy, with its subtree.
            elsewhere = set(
                SupportPolicyComponent.objects.exclude(policy=policy).values_list(
                    "component_id", flat=True
                )
            )
            seen, stack = set(), roots
            while stack:
                pk = stack.pop()
                if pk not in seen and pk not in elsewhere:
                    seen.add(pk)
                    stack.extend(children.get(pk, ()))
            teams |= {owner[pk] for pk in seen if owner.get(pk)}
    return teams


def can_manage_escalation(request, support_policy: SupportPolicy | None) -> bool:
    """Return whether the caller may set the delays of ``support_policy`` (None: the default)."""
    if request_is_rota_admin(request):
        return True
    managed = user_managed_team_ids(request)
    return bool(managed & support_policy_team_ids(support_policy))
