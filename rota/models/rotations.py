"""Rotations: who takes turns, how long a turn lasts, and when the baton passes."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.timebounds import BoundedTimes
from ownership.models import Team
from ownership.validators import validate_timezone

from ..weekly import window_errors, windows_text
from .calendars import SprintCalendar


class Rotation(BoundedTimes, models.Model):
    """An ordered list of participants (teams or people) who take shifts in turn.

    A person rotation with ``follows_team_rotation`` has no participants of its own: during each
    shift of the followed team rotation, its shifts are dealt among the members (engineers and
    leads, in username order) of the team on that shift, each team keeping its own turn order.
    """

    class Kind(models.TextChoices):
        TEAM = "team", "Teams take turns"
        PERSON = "person", "People take turns"

    class Unit(models.TextChoices):
        SPRINTS = "sprints", "Sprints"
        WEEKS = "weeks", "Weeks"
        DAYS = "days", "Days"
        HOURS = "hours", "Hours"

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    class Restriction(models.TextChoices):
        NONE = "none", "Around the clock"
        BUSINESS_HOURS = "business_hours", "Business hours only"
        OUT_OF_HOURS = "out_of_hours", "Out of hours only"
        WEEKLY = "weekly", "Weekly windows"

    class Fairness(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin"
        BALANCE_WEEKENDS = "balance_weekends", "Round robin, balancing weekends and holidays"

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERSON)
    shift_length_unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.WEEKS)
    shift_length_count = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="How many units one shift lasts.",
    )
    handoff_time = models.TimeField(
        default=datetime.time(9, 0),
        help_text="Local time of day at which one shift hands over to the next.",
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone of the handoff time, e.g. Europe/London.",
    )
    start_date = models.DateField(help_text="Date of the first handoff.")
    sprint_calendar = models.ForeignKey(
        SprintCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rotations",
        help_text="Required when shifts are measured in sprints; handoffs fall on sprint starts.",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rotations",
        help_text="The team a person rotation belongs to (its on-call rotation).",
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRIMARY)
    restriction = models.CharField(
        max_length=16,
        choices=Restriction.choices,
        default=Restriction.NONE,
        help_text=(
            "Limit on-call duty to business hours (Monday to Friday), to the rest, or to "
            "weekly windows."
        ),
    )
    business_hours_start = models.TimeField(default=datetime.time(9, 0))
    business_hours_end = models.TimeField(default=datetime.time(17, 0))
    restriction_windows = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'Weekly windows (restriction "weekly" only), local to the rotation: '
            '[{"from_day": 1, "from": "09:00", "to_day": 5, "to": "17:00"}], days 1 (Monday) '
            "to 7 (Sunday); a window ending at or before its start wraps over the week's end. "
            "Public holidays do not switch them off."
        ),
    )
    layer = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text=(
            "Among a team's rotations of the same role, higher layers are tried first: the "
            "highest layer with someone on duty answers, as schedule layers do in PagerDuty; "
            "equal layers in id order."
        ),
    )
    follows_team_rotation = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="following_rotations",
        limit_choices_to={"kind": "team"},
        help_text="Deal shifts among the members of whichever team is on this team rotation.",
    )
    fairness = models.CharField(
        max_length=20, choices=Fairness.choices, default=Fairness.ROUND_ROBIN
    )
    horizon_weeks = models.PositiveSmallIntegerField(
        default=26,
        validators=[MinValueValidator(1), MaxValueValidator(260)],
        help_text="How far ahead shifts are generated (and extended every night).",
    )
    swaps_require_approval = models.BooleanField(
        default=False, help_text="A taken swap changes hands only once a manager approves it."
    )
    active = models.BooleanField(
        default=True, help_text="Inactive rotations are not extended by the nightly job."
    )
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="The tool this rotation was imported from (grafana-oncall); empty if typed in.",
    )
    source_id = models.CharField(
        max_length=120,
        blank=True,
        help_text="Its identifier there, so a second import updates it instead of adding a copy.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="rotation_one_per_source_id",
            ),
            models.CheckConstraint(
                condition=Q(shift_length_count__gte=1), name="rotation_length_positive"
            ),
            models.CheckConstraint(
                condition=~Q(shift_length_unit="sprints") | Q(sprint_calendar__isnull=False),
                name="rotation_sprints_need_calendar",
            ),
            models.CheckConstraint(
                condition=Q(follows_team_rotation__isnull=True) | Q(kind="person"),
                name="rotation_only_people_follow",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("portal-rotation", kwargs={"pk": self.pk})

    def clean(self):
        """Refuse combinations of settings that cannot produce a rota."""
        errors = {}
        if self.shift_length_unit == self.Unit.SPRINTS and self.sprint_calendar_id is None:
            errors["sprint_calendar"] = "A rotation measured in sprints needs a sprint calendar."
        if self.follows_team_rotation_id is not None:
            followed = self.follows_team_rotation
            if self.kind != self.Kind.PERSON:
                errors["follows_team_rotation"] = "Only a person rotation can follow a team one."
            elif self.pk is not None and followed.pk == self.pk:
                errors["follows_team_rotation"] = "A rotation cannot follow itself."
            elif followed.kind != self.Kind.TEAM:
                errors["follows_team_rotation"] = "The followed rotation must be a team rotation."
        if self.restriction == self.Restriction.WEEKLY:
            problems = window_errors(self.restriction_windows)
            if not problems and not self.restriction_windows:
                problems = ["restriction_windows: a weekly restriction needs at least one window"]
            if problems:
                errors["restriction_windows"] = problems
        elif self.restriction_windows:
            errors["restriction_windows"] = (
                'Windows apply only to the "weekly" restriction; leave them empty.'
            )
        if (
            self.restriction in (self.Restriction.BUSINESS_HOURS, self.Restriction.OUT_OF_HOURS)
            and self.business_hours_start is not None
            and self.business_hours_end is not None
            and self.business_hours_end <= self.business_hours_start
        ):
            errors["business_hours_end"] = "Business hours must end after they start."
        if errors:
            raise ValidationError(errors)

    @property
    def restriction_windows_text(self) -> str:
        """Return the weekly windows for people to read: ``Mon 09:00 - Fri 17:00, ...``."""
        return windows_text(self.restriction_windows).replace("\n", ", ")

    @property
    def is_sprint_based(self) -> bool:
        return self.shift_length_unit == self.Unit.SPRINTS


class RotationParticipant(models.Model):
    """One place in a rotation's turn order: a team (team rotations) or a person."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="participants")
    position = models.PositiveIntegerField(default=0, help_text="Turn order, lowest first.")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="rotation_places"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rotation_places",
    )

    class Meta:
        ordering = ["rotation", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True, user__isnull=False)
                | Q(team__isnull=False, user__isnull=True),
                name="rotation_participant_team_xor_user",
            ),
            models.UniqueConstraint(
                fields=["rotation", "user"],
                condition=Q(user__isnull=False),
                name="rotation_participant_unique_user",
            ),
            models.UniqueConstraint(
                fields=["rotation", "team"],
                condition=Q(team__isnull=False),
                name="rotation_participant_unique_team",
            ),
        ]

    def __str__(self):
        who = self.team if self.team_id else self.user
        return f"{self.position}. {who}"
