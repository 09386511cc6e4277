"""What every portal page shares: sign-in, the viewer's time zone, errors as page content."""

import functools
from zoneinfo import ZoneInfoNotFoundError

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.providers import provider
from core.timeutil import zone

DEFAULT_ZONE = "UTC"


def viewer_zone_name(user) -> str:
    """Return the IANA zone name ``user`` reads times in (e.g. "Europe/Berlin").

    Asked of the app that knows through the ``ROTA_VIEWER_ZONE_NAME`` setting
    (see :mod:`core.providers`); "UTC" when it has no answer.
    """
    return provider("ROTA_VIEWER_ZONE_NAME")(user) or DEFAULT_ZONE


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
