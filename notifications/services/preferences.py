"""Read and change a person's notification preferences."""

from django.db import transaction

from ..models import NotificationPreference

FIELDS = (
    "email_enabled",
    "chat_enabled",
    "chat_webhook_url",
    "lead_times",
    "quiet_hours_start",
    "quiet_hours_end",
    "timezone",
    "capacity_alerts",
    "triage_agenda",
    "timebox_alerts",
    "feed_busy",
)


def preference_get(*, user) -> NotificationPreference:
    """Return the person's preferences; the defaults, unsaved, if they never set any."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


@transaction.atomic
def preference_update(*, user, **data) -> NotificationPreference:
    """Change some of the person's preferences (creating their row the first time)."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    was_busy = preference.feed_busy
    for name, value in data.items():
        setattr(preference, name, value)
    if preference.feed_busy != was_busy:
        preference_feed_busy_changed(preference=preference)
    preference.full_clean()
    preference.lead_times = sorted(preference.lead_times, reverse=True)
    preference.save()
    return preference


def preference_feed_busy_changed(*, preference: NotificationPreference) -> None:
    """Note (unsaved) that the person's feed busy status changed: raise their feed sequence.

    Calendar apps only replace an event they hold when its SEQUENCE rises (RFC 5545 3.8.7.4),
    and the feeds add ``feed_sequence`` to every event's, so each change, back and forth, is
    taken.
    """
    preference.feed_sequence += 1
