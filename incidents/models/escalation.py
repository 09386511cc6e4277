"""How fast an unacknowledged incident escalates, and the pages it has sent."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from rota.models import SupportPolicy

from .incidents import Incident

# Delays (minutes after the incident was created) when no escalation policy says otherwise.
DEFAULT_PRIMARY_DELAY = 0
DEFAULT_SECONDARY_DELAY = 5
DEFAULT_LEAD_DELAY = 15


class EscalationPolicy(models.Model):
    """Escalation delays for the incidents routed by one support policy.

    The rota's support policies decide *who* responds; this row, kept in the incidents app,
    decides *how fast* an unacknowledged incident moves on. A row without a support policy is
    the organisation's default; without any row the defaults are 0, 5 and 15 minutes.
    """

    support_policy = models.OneToOneField(
        SupportPolicy,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_policy",
        help_text="Leave empty for the organisation's default delays.",
    )
    primary_delay_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_PRIMARY_DELAY,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes after creation before the primary is paged. Only useful with a "
        "first line, which is always paged at once: it gives them a head start.",
    )
    secondary_delay_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_SECONDARY_DELAY,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes after creation before the secondary is paged, if nobody acknowledged.",
    )
    lead_delay_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_LEAD_DELAY,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes after creation before the responding team's leads (or, without a "
        "lead, its managers) are paged, if nobody acknowledged.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "escalation policies"

    def __str__(self):
        scope = self.support_policy.name if self.support_policy_id else "Default"
        return (
            f"{scope}: primary +{self.primary_delay_minutes} min, secondary "
            f"+{self.secondary_delay_minutes} min, lead +{self.lead_delay_minutes} min"
        )

    def clean(self):
        """Require delays in escalation order and a single default row."""
        # Name the delay that falls below the one before it, so the form marks that field.
        if self.primary_delay_minutes > self.secondary_delay_minutes:
            decreasing = "secondary_delay_minutes"
        elif self.secondary_delay_minutes > self.lead_delay_minutes:
            decreasing = "lead_delay_minutes"
        else:
            decreasing = None
        if decreasing is not None:
            raise ValidationError(
                {
                    decreasing: "Escalation goes primary, then secondary, then lead: "
                    "the delays must not decrease."
                }
            )
        if self.support_policy_id is None:
            others = EscalationPolicy.objects.filter(support_policy__isnull=True)
            if others.exclude(pk=self.pk).exists():
                raise ValidationError(
                    {"support_policy": "There is already a default escalation policy."}
                )


class Page(models.Model):
    """One page of one person for one escalation step of an incident.

    ``key`` (incident, step, person, channel) is unique: however often the scanner runs, and
    however many run at once, a person is paged once per step and channel.
    """

    class Step(models.TextChoices):
        FIRST_LINE = "first_line", "First line"
        PRIMARY = "primary", "Primary"
        FALLBACK = "fallback", "Organisation fallback"
        SECONDARY = "secondary", "Secondary"
        LEAD = "lead", "Lead"
        MANAGER = "manager", "Manager"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled (acknowledged before it went out)"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pages")
    step = models.CharField(max_length=12, choices=Step.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="pages"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    key = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # When the page was last handed to a worker: a pending page untouched for a minute is
    # handed again by the escalation scan (the broker was down, or lost the message).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # The worker sending it now, and since when (see incidents.services.paging.page_claim).
    claim = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="page_incident_created"),
            models.Index(fields=["status", "enqueued_at"], name="page_status_enqueued"),
        ]

    def __str__(self):
        return self.key

    @staticmethod
    def make_key(*, incident_id: int, step: str, user_id: int, channel: str) -> str:
        return f"incident:{incident_id}:{step}:user:{user_id}:{channel}"
