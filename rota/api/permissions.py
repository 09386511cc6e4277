"""Who may change what in the rota API (DESIGN §4), in one module.

* **Everyone signed in reads** every resource.
* **Sprint calendars and support policies** are organisation-wide: a calendar's cadence moves
  the shifts of every rotation measured in it, and a policy decides who gets paged for whole
  subtrees of the catalog. Only rota admins (``core.permissions.is_rota_admin``) change them.
* **Rotations, shifts and the generate action**: rota admins, and managers of a team the rotation
  concerns. A person rotation concerns its ``team``; a team rotation concerns every team that
  takes part in it; a person rotation that follows a team rotation also concerns the teams on
  that team rotation (their engineers are the ones dealt its shifts). A person rotation with
  no team that follows nothing is left to rota admins. A manager may only create or reshape a
  rotation so that it still concerns a team they manage.
* **Overrides**: rota admins and the rotation's managers; an engineer who takes turns in the
  rotation (``rota.selectors.rotation_taker_ids``, the rule for taking swaps) may cover for
  someone, i.e. create an override naming themselves, and change or delete an override that
  names them or that they created (but not hand it to someone else).
* **Swaps**: the person holding a shift offers it; anyone in the rotation takes it (the domain
  service checks eligibility); rota admins and the rotation's managers approve or reject a taken
  swap; the offerer (or a rota admin) cancels it.
* **Unavailability**: rota admins; anyone for themselves; a manager for their team and for the
  members of the teams they manage.
"""

from core.permissions import request_is_rota_admin, user_managed_team_ids
from ownership.models import Membership

from ..models import Rotation, RotationParticipant


def managed_teams(request) -> set[int]:
    """Return the ids of the teams the caller manages (one query per request)."""
    return user_managed_team_ids(request)


def rotation_team_ids(rotation: Rotation) -> set[int]:
    """Return the teams whose managers manage ``rotation`` (see the module docstring)."""
    teams = set()
    if rotation.team_id is not None:
        teams.add(rotation.team_id)
    turn_orders = []
    if rotation.kind == Rotation.Kind.TEAM and rotation.pk is not None:
        turn_orders.append(rotation.pk)
    if rotation.follows_team_rotation_id is not None:
        turn_orders.append(rotation.follows_team_rotation_id)
    if turn_orders:
        teams |= set(
            RotationParticipant.objects.filter(
                rotation_id__in=turn_orders, team__isnull=False
            ).values_list("team_id", flat=True)
        )
    return teams


def can_manage_rotation(request, rotation: Rotation) -> bool:
    """Return whether the caller is staff or manages a team ``rotation`` concerns."""
    if request_is_rota_admin(request):
        return True
    managed = managed_teams(request)
    return bool(managed) and bool(managed & rotation_team_ids(rotation))


def proposed_rotation_team_ids(data: dict, current: Rotation | None = None) -> set[int]:
    """Return the teams a rotation would concern once ``data`` (validated input) is applied."""

    def value(name):
        if name in data:
            return data[name]
        return getattr(current, name) if current is not None else None

    teams = set()
    team = value("team")
    if team is not None:
        teams.add(team.pk)
    kind = value("kind") or Rotation.Kind.PERSON
    if kind == Rotation.Kind.TEAM:
        if "participants" in data:
            teams |= {item.pk for item in data["participants"]}
        elif current is not None and current.pk is not None:
            teams |= set(
                current.participants.filter(team__isnull=False).values_list("team_id", flat=True)
            )
    followed = value("follows_team_rotation")
    if followed is not None:
        teams |= set(
            followed.participants.filter(team__isnull=False).values_list("team_id", flat=True)
        )
    return teams


def can_manage_user(request, user) -> bool:
    """Return whether the caller may act for ``user``: themselves, staff, or their manager."""
    if request_is_rota_admin(request) or user.pk == request.user.pk:
        return True
    managed = managed_teams(request)
    return bool(managed) and Membership.objects.filter(user=user, team_id__in=managed).exists()


def leave_reason_visible(request, entry) -> bool:
    """Tell whether the caller may read the reason of a person's leave ``entry``.

    A reason is the person's own business: shown to them, to managers of their teams and to
    staff. A team's entry (a public holiday, team leave) is not personal: everyone sees it.
    The managed people are read once per request.
    """
    if entry.user_id is None or request_is_rota_admin(request) or entry.user_id == request.user.pk:
        return True
    cached = getattr(request, "_managed_people_ids", None)
    if cached is None:
        managed = managed_teams(request)
        cached = (
            set(Membership.objects.filter(team_id__in=managed).values_list("user_id", flat=True))
            if managed
            else set()
        )
        request._managed_people_ids = cached
    return entry.user_id in cached
