"""The one setting the reports need per team: how much of a sprint it keeps for support."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.netsafety import validate_webhook_url
from ownership.models import Team

DEFAULT_BUFFER_PERCENT = 20
DEFAULT_HOURS_PER_DAY = 8


class TeamCapacity(models.Model):
    """A team's planned capacity buffer and, optionally, the head count to plan with.

    A team without a row plans with the defaults: 20% of every sprint kept for support, as
    many people as it has engineers and leads, and buffer alerts posted to the team's chat
    webhook.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="capacity")
    buffer_percent = models.PositiveSmallIntegerField(
        default=DEFAULT_BUFFER_PERCENT,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of each sprint planned for support work (interrupts, bugs), in percent.",
    )
    team_size = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="People to plan with; empty: the team's engineers and leads.",
    )
    hours_per_day = models.PositiveSmallIntegerField(
        default=DEFAULT_HOURS_PER_DAY,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="Working hours of one person on one working day.",
    )
    alert_chat = models.BooleanField(
        "post buffer alerts to chat",
        default=True,
        help_text="Post the 80% and 100% buffer alerts to a chat channel as well as telling "
        "the team's managers.",
    )
    alert_webhook_url = models.URLField(
        "buffer alert webhook",
        blank=True,
        max_length=500,
        validators=[validate_webhook_url],
        help_text="Slack-compatible webhook for the buffer alerts; empty: the team's own chat "
        "webhook.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team__name"]
        verbose_name = "team capacity"
        verbose_name_plural = "team capacities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(buffer_percent__lte=100), name="team_capacity_buffer_percent"
            ),
        ]

    def __str__(self):
        return f"{self.team}: {self.buffer_percent}% buffer"
