"""Who may do what in the incidents API, in one module.

* **Incidents**: everyone signed in reads, opens incidents, acknowledges and adds notes
  (whoever notices first may stop the paging). Mitigating, resolving and editing are for the
  responders: the people routed to it, the one who acknowledged it, members of the responding
  or owning team, and staff.
* **Bugs**: everyone signed in reads and files bugs; the fixing team's members (and staff)
  edit, start the investigation and decide the outcome.
* **Integrations** hold secrets: staff, and managers of the team that owns the integration's
  component, see and change them. An integration without a component is staff's.
"""

from ownership.models import Membership
from portal.permissions import ReadOrManage, can_manage_team, user_managed_team_ids


def is_staff(request) -> bool:
    return bool(request.user and request.user.is_authenticated and request.user.is_staff)


def _member_of(request, team_ids) -> bool:
    team_ids = [pk for pk in team_ids if pk is not None]
    return (
        bool(team_ids)
        and Membership.objects.filter(user=request.user, team_id__in=team_ids).exists()
    )


def can_respond(request, incident) -> bool:
    """Return whether the caller may mitigate, resolve or edit ``incident``."""
    if is_staff(request):
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
    return is_staff(request) or _member_of(request, [bug.team_id])


def may_see_integrations(request) -> bool:
    return is_staff(request) or bool(user_managed_team_ids(request))


def can_manage_integration_component(request, component) -> bool:
    """Return whether the caller may attach an integration to ``component`` (None: staff)."""
    if is_staff(request):
        return True
    if component is None:
        return False
    return can_manage_team(request, component.effective_owner_team_id)


class IntegrationPermission(ReadOrManage):
    """Integrations: staff and team managers only, even for reading."""

    message = "Only staff and managers of the team owning the component manage integrations."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and may_see_integrations(request)
