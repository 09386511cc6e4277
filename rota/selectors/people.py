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
