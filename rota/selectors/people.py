"""Who takes part in a set of teams' rotations, and which zone a person's dates are in."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q

from ownership.models import Membership

from ..models import Rotation, RotationParticipant


def rotation_people(team_ids: set[int]) -> Q:
    """Return a Q over users matching everyone who takes turns in the rotations of ``team_ids``.

    That is the people in those rotations' turn order, the members of the teams in it, and, for
    a rotation that follows a team rotation, the members of the teams taking its turns.
    """
    rotations = Rotation.objects.filter(team_id__in=team_ids)
    followed = rotations.filter(follows_team_rotation__isnull=False).values(
        "follows_team_rotation_id"
    )
    places = RotationParticipant.objects.filter(
        Q(rotation__in=rotations.values("pk")) | Q(rotation__in=followed)
    )
    people = places.filter(user__isnull=False).values("user_id")
    teams = places.filter(team__isnull=False).values("team_id")
    members = Membership.objects.filter(team__in=teams).values("user_id")
    return Q(pk__in=people) | Q(pk__in=members)


def person_zone_name(user) -> str:
    """Return the IANA zone a person's dates are read in (one or two queries).

    The rule notifications use: the zone in their notification preferences, else their first
    team's (teams by name), else ``settings.TIME_ZONE``.
    """
    try:
        chosen = user.notification_preference.timezone
    except ObjectDoesNotExist:
        chosen = ""
    if chosen:
        return chosen
    team_zone = (
        Membership.objects.filter(user=user)
        .order_by("team__name")
        .values_list("team__timezone", flat=True)
        .first()
    )
    return team_zone or settings.TIME_ZONE or "UTC"


def rotation_taker_ids(rotation: Rotation) -> set[int]:
    """Return the ids of the users who may take turns in ``rotation``.

    They are the people in its turn order, the members of its team, of the teams in its turn
    order (a team rotation) and of the teams taking the turns of the team rotation it follows.
    The one rule for who may take an offered shift (``swap_take``) and who may cover a window
    of the rotation for themselves (overrides; the rotation's managers and rota admins may
    name anyone). Empty for a rotation with no team and nobody in its turn order.
    """
    people = set(rotation.participants.filter(user__isnull=False).values_list("user_id", flat=True))
    teams = set(rotation.participants.filter(team__isnull=False).values_list("team_id", flat=True))
    if rotation.team_id is not None:
        teams.add(rotation.team_id)
    if rotation.follows_team_rotation_id is not None:
        teams |= set(
            RotationParticipant.objects.filter(
                rotation_id=rotation.follows_team_rotation_id, team__isnull=False
            ).values_list("team_id", flat=True)
        )
    if teams:
        people |= set(
            Membership.objects.filter(team_id__in=teams).values_list("user_id", flat=True)
        )
    return people
