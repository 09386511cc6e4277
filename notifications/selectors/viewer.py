"""The time zone a person reads the portal in (wired into core.pages by ROTA_VIEWER_ZONE_NAME)."""

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery

from ownership.models import Membership

from ..models import NotificationPreference

DEFAULT_ZONE = "UTC"


def viewer_zone_name(user) -> str:
    """Return the zone a person reads times in: their preference, else their first team's.

    One query. Teams count in name order, as the notifications do.
    """
    preference = NotificationPreference.objects.filter(user_id=OuterRef("pk")).exclude(timezone="")
    team = Membership.objects.filter(user_id=OuterRef("pk")).order_by("team__name", "team_id")
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            preferred=Subquery(preference.values("timezone")[:1]),
            team_zone=Subquery(team.values("team__timezone")[:1]),
        )
        .values_list("preferred", "team_zone")
        .first()
    )
    for name in row or ():
        if name:
            return name
    return DEFAULT_ZONE
