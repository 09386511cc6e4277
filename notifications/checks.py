"""System checks of the notifications settings (``manage.py check``)."""

from django.conf import settings
from django.core import checks

from .conf import setting


@checks.register(checks.Tags.compatibility)
def webhook_deadline_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Refuse a webhook deadline that is not below both sending timeouts.

    A send still running when its sending timeout passes may be taken over by another
    worker and sent twice; the deadline is what keeps every send shorter than that.
    """
    deadline = setting("NOTIFICATIONS_WEBHOOK_TIMEOUT")
    timeouts = {
        "NOTIFICATIONS_SENDING_TIMEOUT": setting("NOTIFICATIONS_SENDING_TIMEOUT"),
        "INCIDENTS_PAGE_SENDING_TIMEOUT": getattr(settings, "INCIDENTS_PAGE_SENDING_TIMEOUT", 120),
    }
    return [
        checks.Error(
            f"NOTIFICATIONS_WEBHOOK_TIMEOUT ({deadline:g} s) must be below {name} "
            f"({timeout:g} s), or a slow send may be taken over and sent twice.",
            id="notifications.E001",
        )
        for name, timeout in timeouts.items()
        if deadline >= timeout
    ]
