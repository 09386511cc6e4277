"""Alert sources: integrations with a secret webhook URL, and the inbox of refused payloads."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.timebounds import BoundedTimes
from core.timeutil import wall_clock
from ownership.models import Component

from .choices import Severity


class Integration(models.Model):
    """A monitoring system that posts alerts to its own secret URL.

    Only a SHA-256 hash of the URL's token is stored: the URL is shown once, when the
    integration is created or its token regenerated.
    """

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager (webhook v4)"
        GENERIC = "generic", "Generic JSON"

    class Grouping(models.TextChoices):
        GROUP = "group", "One incident per Alertmanager group (groupKey)"
        ALERT = "alert", "One incident per alert (its fingerprint)"

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ALERTMANAGER)
    component = models.ForeignKey(
        Component,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="integrations",
        help_text="Used for alerts whose labels name no known component "
        "(label 'component', else 'service').",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_rotated_at = models.DateTimeField(default=timezone.now, editable=False)
    signing_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="Optional HMAC-SHA256 key. When set, every request must carry "
        "X-Rota-Timestamp and X-Rota-Signature headers.",
    )
    resolve_on_alert_resolved = models.BooleanField(
        default=True, help_text="Resolve the incident when its alert resolves."
    )
    grouping = models.CharField(
        max_length=8,
        choices=Grouping.choices,
        default=Grouping.GROUP,
        help_text="Alertmanager only: what one incident stands for.",
    )
    default_severity = models.CharField(
        max_length=4,
        choices=Severity.choices,
        default=Severity.SEV3,
        help_text="Severity of alerts whose 'severity' label is missing or unknown.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="Requests accepted per minute; more are answered 429.",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class InboxItem(models.Model):
    """A request to an integration's URL that did not become incidents, kept for inspection."""

    class Reason(models.TextChoices):
        SIGNATURE = "signature", "Bad or missing signature"
        STALE = "stale", "Stale timestamp"
        PAYLOAD = "payload", "Bad payload"
        TOO_LARGE = "too_large", "Body too large"
        INACTIVE = "inactive", "Integration inactive"

    integration = models.ForeignKey(
        Integration, null=True, on_delete=models.SET_NULL, related_name="inbox"
    )
    received_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField(editable=False, help_text="The request body exactly as received.")
    headers = models.JSONField(
        default=dict, help_text="Request headers, without credentials and signatures."
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    error = models.TextField()
    status_code = models.PositiveSmallIntegerField()
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the payload was processed again successfully."
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", blank=True, related_name="+", help_text="Incidents it led to."
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "alert inbox item"
        verbose_name_plural = "alert inbox"

    def __str__(self):
        # In the owning team's zone, labelled, as the admin shows the inbox.
        team = None
        if self.integration_id and self.integration.component_id:
            team = self.integration.component.effective_owner_team
        zone_name = team.timezone if team else settings.TIME_ZONE
        when = wall_clock(self.received_at, zone_name, "%Y-%m-%d %H:%M:%S")
        return f"{when} {self.get_reason_display()}"


class AlertState(BoundedTimes, models.Model):
    """The last known firing of one alert from one integration, to spot late and repeated sends.

    Alertmanager sends a notification again (repeat interval, both members of an HA pair,
    retries) and may deliver an old "firing" after the "resolved". Each alert's ``startsAt``
    and, once resolved, ``endsAt`` are kept here so a firing that started no later than the
    recorded end is known as a repeat (see ``incidents.services.alerts``).
    """

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="alert_states"
    )
    # The alert's own identity: "am-alert:<Alertmanager fingerprint>" or "generic:<key>".
    key = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=Status.choices)
    starts_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last known firing started, as the sender said."
    )
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="When that firing ended; empty while it fires."
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The incident the alert last fed.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "key"], name="alert_state_one_per_key")
        ]

    def __str__(self):
        return f"{self.key} {self.status}"
