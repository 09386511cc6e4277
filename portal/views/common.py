"""What every portal page shares: sign-in, the viewer's time zone, errors as page content."""

import functools
from zoneinfo import ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ownership.models import Membership
from rota.timeutil import zone

DEFAULT_ZONE = "UTC"


def viewer_zone_name(user) -> str:
    """Return the zone a person reads times in: their preference, else their first team's.

    One query. Teams count in name order, as the notifications do.
    """
    from notifications.models import NotificationPreference

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


def page(view):
    """Require a login and render the page's times in the viewer's time zone."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        name = viewer_zone_name(request.user)
        try:
            tz = zone(name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = zone(DEFAULT_ZONE)
        request.viewer_zone = tz
        with timezone.override(tz):
            return view(request, *args, **kwargs)

    return wrapper


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Return a validation error's messages by field ("__all__" for the rest)."""
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def add_errors(form, exc: ValidationError) -> None:
    """Show a service's validation error on the form, next to the fields it names."""
    for field, messages in field_errors(exc).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
