"""Per-person notification preferences, the delivery log, and change notices awaiting a batch."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.netsafety import validate_webhook_url
from ownership.validators import validate_timezone

DEFAULT_LEAD_TIMES = (24 * 60, 60)
# The kinds of message a person may switch off, and the preference that switches each.
KIND_SWITCHES = {
    "capacity": "capacity_alerts",
    "triage": "triage_agenda",
    "timebox": "timebox_alerts",
}  # minutes before a shift starts: a day and an hour
MAX_LEAD_TIME = 14 * 24 * 60
MAX_LEAD_TIMES = 6


def default_lead_times() -> list[int]:
    return list(DEFAULT_LEAD_TIMES)


def validate_lead_times(value):
    """Refuse anything but a short list of distinct whole minutes within two weeks."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Give at least one lead time, in minutes.", code="invalid")
    if len(value) > MAX_LEAD_TIMES:
        raise ValidationError(f"Give at most {MAX_LEAD_TIMES} lead times.", code="invalid")
    for minutes in value:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValidationError("Lead times are whole minutes.", code="invalid")
        if not 1 <= minutes <= MAX_LEAD_TIME:
            raise ValidationError(
                f"Lead times lie between 1 and {MAX_LEAD_TIME} minutes (two weeks).",
                code="invalid",
            )
    if len(set(value)) != len(value):
        raise ValidationError("Each lead time once, please.", code="invalid")


class NotificationPreference(models.Model):
    """How and when one person wants to hear from the rota.

    A person without a row gets the defaults: e-mail on, chat off, reminders a day and an hour
    ahead, no quiet hours, the time zone of their first team, every kind of message, and
    calendar feeds that leave their time free.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(
        "e-mail", default=True, help_text="Send messages to the person's e-mail address."
    )
    chat_enabled = models.BooleanField(
        "chat", default=False, help_text="Post messages to the personal chat webhook below."
    )
    chat_webhook_url = models.URLField(
        "personal chat webhook",
        blank=True,
        max_length=500,
        validators=[validate_webhook_url],
        help_text="Slack-compatible incoming webhook that reaches the person directly.",
    )
    lead_times = models.JSONField(
        default=default_lead_times,
        validators=[validate_lead_times],
        help_text="Minutes before a shift starts at which to send a reminder, e.g. [1440, 60].",
    )
    quiet_hours_start = models.TimeField(
        null=True, blank=True, help_text="Local time from which non-urgent messages wait."
    )
    quiet_hours_end = models.TimeField(
        null=True, blank=True, help_text="Local time at which waiting messages go out."
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="IANA time zone for the times in messages; empty: the person's team's.",
    )
    capacity_alerts = models.BooleanField(
        "buffer alerts",
        default=True,
        help_text="Managers: tell me when a team of mine has used 80% and 100% of its support "
        "buffer in a sprint.",
    )
    triage_agenda = models.BooleanField(
        "triage agenda",
        default=True,
        help_text="Leads and managers: send me the agenda on the morning of my team's weekly "
        "bug triage.",
    )
    timebox_alerts = models.BooleanField(
        "timebox alerts",
        default=True,
        help_text="Tell me when the timebox of a bug investigation I run (or my team runs, as "
        "its lead) has run out.",
    )
    feed_busy = models.BooleanField(
        "show my duty as busy",
        default=False,
        help_text="In my calendar feeds, mark my own shifts and covers busy, so that free/busy "
        "lookups (meeting planners) see me as busy all the time I am on call. Off: they show "
        "as free. A feed address ending in ?busy=1 or ?busy=0 overrides this.",
    )
    feed_sequence = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised whenever feed_busy changes; added to the SEQUENCE of every event of "
        "the person's feeds, so calendar apps replace the events they hold.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notification_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self):
        return f"Notification preferences of {self.user}"

    def clean(self):
        """Refuse half-set or empty quiet hours and chat without a webhook."""
        errors = {}
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if (start is None) != (end is None):
            errors["quiet_hours_end"] = "Give both ends of the quiet hours, or neither."
        elif start is not None and start == end:
            errors["quiet_hours_end"] = "Quiet hours must not start and end at the same time."
        if self.chat_enabled and not self.chat_webhook_url:
            errors["chat_webhook_url"] = "Chat messages need a webhook URL."
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One message to one recipient over one channel: the unit that is sent exactly once.

    ``key`` names what the message is about, for whom and which occurrence (for instance the
    1-hour reminder of shift 12 starting at 09:00 UTC for user 7); with the channel it is
    unique, so however often or concurrently the scanner finds the same thing due, one row
    exists. A worker sends a row only after claiming it with a conditional update.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Shift reminder"
        HANDOFF = "handoff", "Handoff"
        CHANGES = "changes", "Rota changes"
        WARNING = "warning", "Rota warning"
        CAPACITY = "capacity", "Capacity buffer alert"
        TRIAGE = "triage", "Triage agenda"
        TIMEBOX = "timebox", "Timebox ran out"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no longer applies)"

    key = models.CharField(max_length=200, help_text="What, for whom and which occurrence.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
        help_text="The person it goes to (empty for a team's channel).",
    )
    team = models.ForeignKey(
        "ownership.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
        help_text="The team whose chat channel it goes to.",
    )
    rotation = models.ForeignKey(
        "rota.Rotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shift = models.ForeignKey(
        "rota.Shift", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override = models.ForeignKey(
        "rota.Override", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurs_at = models.DateTimeField(
        help_text="The occurrence: when the shift starts, or when the batch or week began."
    )
    payload = models.JSONField(default=dict, blank=True)
    urgent = models.BooleanField(default=False, help_text="Urgent messages ignore quiet hours.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    subject = models.CharField(max_length=300, blank=True, help_text="As sent.")
    not_before = models.DateTimeField(help_text="Not sent before (quiet hours, retry backoff).")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True, editable=False)
    batch = models.UUIDField(editable=False, help_text="The scan that created the row.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["key", "channel"], name="delivery_unique_key_channel"),
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="delivery_user_xor_team",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "not_before"], name="notif_delivery_due"),
            models.Index(fields=["kind", "occurs_at"], name="notif_delivery_kind_at"),
            models.Index(fields=["batch"], name="notif_delivery_batch"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_label} by {self.channel}"

    @property
    def recipient_label(self) -> str:
        if self.user_id is not None:
            return self.user.get_username()
        return f"team {self.team}"


class ChangeNotice(models.Model):
    """A change to someone's duty, waiting to go out in their next batched message.

    The scanner records each change once per person affected (``source`` names the audit row
    or the override version), stamped with when it was first seen; the notices a person
    collects within one batch window go out together as one message.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_notices"
    )
    source = models.CharField(max_length=60, help_text="e.g. change:412 or override:17:2")
    rotation = models.ForeignKey(
        "rota.Rotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(help_text="When the scanner first saw the change.")
    starts_at = models.DateTimeField(help_text="Start of the duty concerned (for urgency).")
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "source"], name="change_notice_unique"),
        ]
        indexes = [models.Index(fields=["recorded_at"], name="notif_notice_recorded")]

    def __str__(self):
        return f"{self.source} for {self.user_id}"
