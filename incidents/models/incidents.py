"""Incidents and their timelines."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.timebounds import BoundedTimes
from core.timeutil import wall_clock
from ownership.models import Component, Team
from rota.models import SupportPolicy

from .choices import Severity, Urgency

User = settings.AUTH_USER_MODEL


class Incident(BoundedTimes, models.Model):
    """A production incident, routed at creation and kept as it was routed.

    The owning team, the responding team and the people on call are copied from ownership and
    routing when the incident is created; later rota or catalog changes leave them alone, so the
    record says who actually responded.
    """

    class Status(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"

    class Source(models.TextChoices):
        """The tool an imported incident came from (see importers.history); blank: Rota's own."""

        PAGERDUTY = "pagerduty", "PagerDuty"
        OPSGENIE = "opsgenie", "Opsgenie"
        GRAFANA_ONCALL = "grafana_oncall", "Grafana OnCall"

    class MitigationKind(models.TextChoices):
        ROLLBACK = "rollback", "Rollback"
        RESTART = "restart", "Restart"
        CONFIG = "config", "Configuration change"
        HOTFIX = "hotfix", "Hotfix"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(
        max_length=4,
        choices=Severity.choices,
        default=Severity.SEV3,
        help_text="SEV1 is the worst; see the choices for what each level means.",
    )
    urgency = models.CharField(max_length=12, choices=Urgency.choices, default=Urgency.BACKLOG)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TRIGGERED)
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="incidents")

    # Fixed at creation from ownership and routing.
    owning_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_incidents",
        help_text="The team that owned the component when the incident was created.",
    )
    responding_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responded_incidents",
        help_text="The team on support for the component when the incident was created.",
    )
    responder = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_responded",
        help_text="The primary on call when the incident was created.",
    )
    secondary_responder = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_line_responder = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fallback_responders = models.ManyToManyField(
        User,
        blank=True,
        related_name="+",
        help_text="The organisation fallback paged because nobody was on call at creation.",
    )
    nobody_paged = models.BooleanField(
        default=False,
        help_text="Nobody at all could be paged when the incident was created.",
    )
    routing_warning = models.CharField(
        max_length=300, blank=True, help_text="What routing said about a gap at creation."
    )
    support_policy = models.ForeignKey(
        SupportPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    support_model = models.CharField(
        max_length=10,
        choices=SupportPolicy.Model.choices,
        default=SupportPolicy.Model.OWNERSHIP,
        help_text="The support model that routed the incident.",
    )

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mitigated_at = models.DateTimeField(null=True, blank=True)
    mitigated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mitigation_kind = models.CharField(max_length=10, choices=MitigationKind.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    ticket_url = models.URLField(max_length=500, blank=True)
    bug_url = models.URLField(max_length=500, blank=True)
    postmortem_url = models.URLField(max_length=500, blank=True)
    postmortem_done = models.BooleanField(default=False)
    logged_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time spent on the incident, for the load reports."
    )

    # Alert grouping: a firing alert with the same fingerprint from the same integration joins
    # the open incident instead of opening another.
    integration = models.ForeignKey(
        "incidents.Integration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    fingerprint = models.CharField(max_length=255, blank=True)

    # Imported history: the tool and its identifier, so a second import updates the same row.
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
        blank=True,
        help_text="The tool this incident was imported from; empty for incidents opened here.",
    )
    source_id = models.CharField(
        max_length=100, blank=True, help_text="The incident's identifier in that tool."
    )
    source_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Fingerprint of the source row at the last import: unchanged, it is skipped.",
    )

    # Escalation state, written by incidents.services.escalation only.
    escalation_level = models.PositiveSmallIntegerField(default=0, editable=False)
    next_escalation_at = models.DateTimeField(null=True, blank=True, editable=False)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_escalation_at"], name="incident_escalation_due"),
            models.Index(fields=["responding_team", "created_at"], name="incident_team_created"),
            models.Index(fields=["component", "created_at"], name="incident_component_created"),
            models.Index(fields=["created_at"], name="incident_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=~Q(status="resolved") & ~Q(fingerprint=""),
                name="incident_one_open_per_fingerprint",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="incident_resolved_has_time",
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="incident_one_per_source_id",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.severity} {self.title}"

    def get_absolute_url(self):
        return reverse("portal-incident", kwargs={"pk": self.pk})

    def get_api_url(self):
        return reverse("incident-detail", kwargs={"pk": self.pk})


_WHEN = "%Y-%m-%d %H:%M"


class TimelineEntry(BoundedTimes, models.Model):
    """One thing that happened to an incident: who did what, when."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        NOTE = "note", "Note"
        PAGE = "page", "Page"
        ESCALATION = "escalation", "Escalation"
        ALERT = "alert", "Alert"
        CHANGE = "change", "Change"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "at"], name="timeline_incident_at")]

    def __str__(self):
        # In the responding team's zone, labelled, as the incident's pages show times.
        team = self.incident.responding_team if self.incident_id else None
        when = wall_clock(self.at, team.timezone if team else settings.TIME_ZONE, _WHEN)
        return f"{when} {self.get_kind_display()}: {self.text[:60]}"
