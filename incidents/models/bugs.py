"""Bugs and their timeboxed investigation."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.timebounds import BoundedTimes
from ownership.models import Component, Team

from .choices import Severity
from .incidents import Incident

User = settings.AUTH_USER_MODEL


class Bug(BoundedTimes, models.Model):
    """A bug for a team to fix, with a timebox to understand it before estimating a story."""

    class Outcome(models.TextChoices):
        FIXED = "fixed", "Fixed within the timebox"
        STORY = "story", "Turned into an estimated story"
        WONT_FIX = "wont_fix", "Won't fix"

    class Source(models.TextChoices):
        JIRA = "jira", "Jira"
        GITHUB = "github", "GitHub"

    class State(models.TextChoices):
        NEW = "new", "New"
        INVESTIGATING = "investigating", "Investigating"
        DONE = "done", "Done"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="bugs")
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bugs",
        help_text="The team that fixes it: by default the team that responds for the component "
        "under its support policy (the owning team under total ownership).",
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="bugs"
    )
    ticket_url = models.URLField(max_length=500, blank=True)
    reported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    timebox_days = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Working days (Monday to Friday, in the team's time zone) allowed to "
        "understand the bug before it is fixed or turned into an estimated story.",
    )
    investigator = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="bugs_investigated"
    )
    investigation_started_at = models.DateTimeField(null=True, blank=True)
    timebox_ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    investigation_finished_at = models.DateTimeField(null=True, blank=True)

    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    story_url = models.URLField(max_length=500, blank=True)
    story_points = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the outcome was decided (the bug was closed)."
    )
    source = models.CharField(
        max_length=10,
        choices=Source.choices,
        blank=True,
        help_text="The tool an imported bug came from; empty for a bug filed in Rota.",
    )
    source_id = models.CharField(
        max_length=300,
        blank=True,
        help_text="The bug's identifier in its source: a Jira issue key (OPS-12) or a GitHub "
        "issue (owner/repo#12). A re-import updates the bug with the same one.",
    )
    source_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Fingerprint of the source row at the last import: unchanged, it is skipped.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["severity", "created_at", "id"]
        indexes = [models.Index(fields=["team", "outcome"], name="bug_team_outcome")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="bug_one_per_source_id",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.severity} {self.title}"

    def get_absolute_url(self):
        return reverse("portal-bug", kwargs={"pk": self.pk})

    @property
    def state(self) -> str:
        if self.outcome:
            return self.State.DONE
        if self.investigation_started_at is not None:
            return self.State.INVESTIGATING
        return self.State.NEW

    def overran(self, now=None) -> bool:
        """Return whether the investigation ran (or is running) past its timebox."""
        if self.timebox_ends_at is None:
            return False
        end = self.investigation_finished_at or now or timezone.now()
        return end > self.timebox_ends_at
