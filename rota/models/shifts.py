"""Shifts (the rota's rows), overrides, swap requests and the audit trail of shift edits."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from core.timebounds import BoundedTimes
from core.timeutil import wall_clock
from ownership.models import Team

from .rotations import Rotation


def _span(obj) -> str:
    """Show a shift's or override's window in its rotation's time zone (as managers read it)."""
    if obj.start is None or obj.end is None:
        return "no window yet"
    name = obj.rotation.timezone
    return f"{wall_clock(obj.start, name, _DAY)} - {wall_clock(obj.end, name, _DAY)}"


_DAY = "%a %d %b %Y %H:%M"


def _window_errors(obj) -> dict:
    if obj.start is not None and obj.end is not None and obj.end <= obj.start:
        return {"end": "The end must be after the start."}
    return {}


def _assignee_errors(rotation, team_id, user_id) -> dict:
    if rotation.kind == Rotation.Kind.TEAM and user_id is not None:
        return {"user": "Teams take the shifts of a team rotation; choose a team."}
    if rotation.kind == Rotation.Kind.PERSON and team_id is not None:
        return {"team": "People take the shifts of a person rotation; choose a person."}
    return {}


class Shift(BoundedTimes, models.Model):
    """One assignee (a team or a person) on duty for a rotation from ``start`` to ``end``.

    The primary key is the shift's identity for calendar UIDs: regeneration updates a row in
    place rather than replacing it, and bumps ``sequence`` on every change. A shift with neither
    team nor user is unassigned (it shows as a gap).
    """

    # The composite indexes below lead with rotation, user and team, so the single-column
    # foreign-key indexes would only cost writes.
    rotation = models.ForeignKey(
        Rotation, on_delete=models.CASCADE, related_name="shifts", db_index=False
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shifts",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shifts",
        db_index=False,
    )
    edited = models.BooleanField(
        default=False, help_text="Changed by hand; regeneration leaves it alone."
    )
    # Whose turn generation gave this shift; hand edits and swaps change team/user but not
    # these, so the turn order carries on unchanged after a swap.
    generated_team = models.ForeignKey(
        Team, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    generated_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Incremented on every change (iCalendar SEQUENCE)."
    )
    note = models.CharField(max_length=200, blank=True)
    # Where an imported shift came from: the importer's source ("ical") and the source's key
    # for it, so that importing the same feed again finds the row instead of adding one.
    source = models.CharField(
        max_length=20, blank=True, editable=False, help_text="The importer's source, if any."
    )
    source_id = models.CharField(
        max_length=255, blank=True, editable=False, help_text="The source's key for this shift."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "rotation_id"]
        indexes = [
            models.Index(fields=["rotation", "start", "end"], name="rota_shift_rot_start_end"),
            models.Index(fields=["user", "start"], name="rota_shift_user_start"),
            models.Index(fields=["team", "start"], name="rota_shift_team_start"),
            # The default ordering of the API's and the admin's lists: without it every page
            # sorts the whole table.
            models.Index(fields=["start", "rotation"], name="rota_shift_start_rotation"),
        ]
        # On PostgreSQL migration 0002 adds an exclusion constraint refusing overlapping
        # shifts within one rotation; SQLite relies on the check in rota.services.
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_end_after_start"),
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(user__isnull=True),
                name="shift_one_assignee",
            ),
            models.UniqueConstraint(
                fields=["rotation", "source", "source_id"],
                condition=~Q(source=""),
                name="shift_one_per_source_key",
            ),
        ]

    def __str__(self):
        return f"{self.rotation}: {_span(self)}"

    def clean(self):
        """Refuse a shift that ends before it starts or whose assignee suits another kind."""
        errors = _window_errors(self)
        if self.team_id is not None and self.user_id is not None:
            errors["user"] = "A shift has one assignee: a team or a person, not both."
        elif self.rotation_id is not None:
            errors.update(_assignee_errors(self.rotation, self.team_id, self.user_id))
        if errors:
            raise ValidationError(errors)


class Override(BoundedTimes, models.Model):
    """Someone covers a window of a rotation instead of whoever holds the shift then."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    start = models.DateTimeField()
    end = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="overrides",
        help_text="The person who covers (person rotations).",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="overrides",
        help_text="The team that covers (team rotations).",
    )
    reason = models.CharField(max_length=200, blank=True)
    leave = models.ForeignKey(
        "rota.Unavailability",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="covers",
        help_text="The leave this cover was arranged for; it goes when the leave goes.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "rotation_id"]
        indexes = [
            models.Index(fields=["rotation", "start", "end"], name="rota_override_rot_start_end"),
            models.Index(fields=["user", "start"], name="rota_override_user_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="override_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True, user__isnull=False)
                | Q(team__isnull=False, user__isnull=True),
                name="override_team_xor_user",
            ),
        ]

    def __str__(self):
        return f"Override on {self.rotation}: {_span(self)}"

    def clean(self):
        """Refuse an override that ends before it starts or names the wrong kind of cover."""
        errors = _window_errors(self)
        if self.team_id is None and self.user_id is None:
            errors["user"] = "Name the person (or team) who covers."
        elif self.team_id is not None and self.user_id is not None:
            errors["user"] = "An override has one assignee: a team or a person, not both."
        elif self.rotation_id is not None:
            errors.update(_assignee_errors(self.rotation, self.team_id, self.user_id))
        if errors:
            raise ValidationError(errors)


class SwapRequest(BoundedTimes, models.Model):
    """A person offers their shift; someone else takes it; maybe a manager approves.

    ``taken`` means taken and waiting for approval; ``approved`` means the shift changed hands
    (with ``approved_by`` empty when the rotation needs no approval); ``withdrawn`` means the
    taker gave an unapproved hand-over back before the shift started.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        TAKEN = "taken", "Taken, awaiting approval"
        APPROVED = "approved", "Approved"
        CANCELLED = "cancelled", "Cancelled"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn by the taker"

    OPEN_STATUSES = (Status.OFFERED, Status.TAKEN)

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swap_requests")
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="swaps_offered"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="swaps_taken",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    requires_approval = models.BooleanField(
        default=False, help_text="Copied from the rotation when the shift is taken."
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who cancelled or rejected the request.",
    )
    message = models.CharField(max_length=300, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who last took the shift and withdrew before a manager approved.",
    )
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="When the taker last withdrew before approval."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was approved, cancelled or rejected."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="rota_swap_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["shift"],
                condition=Q(status__in=["offered", "taken"]),
                name="swap_one_open_per_shift",
            ),
        ]

    def __str__(self):
        return f"Swap of shift {self.shift_id} ({self.status})"


class ShiftChange(models.Model):
    """Audit row: who changed which shift when, with the values before and after."""

    class Action(models.TextChoices):
        CREATED = "created", "Created by hand"
        UPDATED = "updated", "Edited by hand"
        DELETED = "deleted", "Deleted"
        REGENERATED = "regenerated", "Changed by regeneration"
        SWAPPED = "swapped", "Swapped"
        LEAVE = "leave", "Swapped for leave"

    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="shift_changes")
    shift_ref = models.BigIntegerField(help_text="The shift's id, kept after it is deleted.")
    action = models.CharField(max_length=12, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["shift_ref", "changed_at"], name="rota_change_shift")]

    def __str__(self):
        when = wall_clock(self.changed_at, self.rotation.timezone, "%Y-%m-%d %H:%M")
        return f"{self.get_action_display()} shift {self.shift_ref} at {when}"
