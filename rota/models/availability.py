"""Leave and public holidays of people and teams."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from core.timebounds import BoundedTimes
from ownership.models import Team


class Unavailability(BoundedTimes, models.Model):
    """A person or a team cannot take duty from ``start_date`` to ``end_date`` (inclusive).

    Dates are read in the time zone of the rotation they are checked against.
    """

    class Kind(models.TextChoices):
        LEAVE = "leave", "Leave"
        PUBLIC_HOLIDAY = "public_holiday", "Public holiday"

    class Source(models.TextChoices):
        MANUAL = "manual", "Typed in"
        ICS = "ics", "Imported from iCalendar"
        HOLIDAYS = "holidays", "From the team's country and subdivision"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="unavailability",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="unavailability"
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day away (inclusive).")
    reason = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LEAVE)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    external_uid = models.CharField(
        max_length=255, blank=True, help_text="UID of the imported calendar event."
    )
    calendar = models.CharField(
        max_length=2000,
        blank=True,
        help_text="The imported calendar the event came from: its URL, or the name given or in "
        "its X-WR-CALNAME. A pruning import removes only rows of its own calendar.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_date", "id"]
        verbose_name_plural = "unavailability"
        indexes = [
            models.Index(fields=["user", "start_date", "end_date"], name="rota_unavail_user"),
            models.Index(fields=["team", "start_date", "end_date"], name="rota_unavail_team"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="unavailability_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True, user__isnull=False)
                | Q(team__isnull=False, user__isnull=True),
                name="unavailability_team_xor_user",
            ),
            models.UniqueConstraint(
                fields=["user", "external_uid"],
                condition=Q(source="ics", user__isnull=False),
                name="unavailability_unique_user_import",
            ),
            models.UniqueConstraint(
                fields=["team", "external_uid"],
                condition=Q(source="ics", team__isnull=False),
                name="unavailability_unique_team_import",
            ),
            models.UniqueConstraint(
                fields=["team", "external_uid"],
                condition=Q(source="holidays"),
                name="unavailability_unique_team_package_holiday",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start_date} - {self.end_date}"

    def clean(self):
        """Require exactly one of person and team, and an end on or after the start."""
        errors = {}
        if (self.user_id is None) == (self.team_id is None):
            errors["user"] = "Give either a person or a team (exactly one)."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The last day cannot be before the first."
        if errors:
            raise ValidationError(errors)
