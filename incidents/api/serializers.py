"""Serializers of the incidents API: people by username, teams and components by slug."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.input_guards import SlugRelatedField
from ownership.models import Component, Team
from rota.models import SupportPolicy

from ..models import Bug, Incident, Integration, Severity, TimelineEntry

USERNAME = {"slug_field": "username", "read_only": True}
SLUG = {"slug_field": "slug", "read_only": True}


def choice_text(choices, *, help_text="", **kwargs) -> serializers.CharField:
    """Return a string field limited to ``choices``, documented without a schema enum.

    OpenAPI components are named after fields: the same choices under two names, or two sets
    of choices under one name (``kind``, ``status``), would clash in the schema.
    """
    values = [value for value, _ in choices]
    listed = ", ".join(values)
    field = serializers.CharField(help_text=f"{help_text} One of: {listed}.".strip(), **kwargs)
    if not kwargs.get("read_only"):

        def one_of(value):
            if value not in values:
                raise serializers.ValidationError(f"Choose one of {listed}.")

        field.validators.append(one_of)
    return field


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = SlugRelatedField(**USERNAME)
    kind = choice_text(TimelineEntry.Kind.choices, read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "at", "author", "text", "data"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    component = SlugRelatedField(
        slug_field="slug",
        queryset=Component.objects.all(),
        help_text="Component slug; fixed at creation.",
    )
    owning_team = SlugRelatedField(**SLUG)
    responding_team = SlugRelatedField(**SLUG)
    responder = SlugRelatedField(**USERNAME)
    secondary_responder = SlugRelatedField(**USERNAME)
    first_line_responder = SlugRelatedField(**USERNAME)
    fallback_responders = SlugRelatedField(
        many=True,
        help_text="The organisation fallback paged because nobody was on call.",
        **USERNAME,
    )
    nobody_paged = serializers.BooleanField(
        read_only=True, help_text="True when nobody at all could be paged at creation."
    )
    routing_warning = serializers.CharField(
        read_only=True, help_text="What routing said about a gap when the incident was created."
    )
    created_by = SlugRelatedField(**USERNAME)
    acknowledged_by = SlugRelatedField(**USERNAME)
    mitigated_by = SlugRelatedField(**USERNAME)
    resolved_by = SlugRelatedField(**USERNAME)
    urgency = serializers.ChoiceField(
        choices=Incident._meta.get_field("urgency").choices,
        required=False,
        help_text="Default: interrupting for SEV1 and SEV2, backlog otherwise.",
    )
    status = choice_text(Incident.Status.choices, read_only=True)
    support_model = choice_text(
        SupportPolicy.Model.choices, read_only=True, help_text="The model that routed it."
    )
    mitigation_kind = choice_text(Incident.MitigationKind.choices, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "description",
            "severity",
            "urgency",
            "status",
            "component",
            "owning_team",
            "responding_team",
            "responder",
            "secondary_responder",
            "first_line_responder",
            "fallback_responders",
            "nobody_paged",
            "routing_warning",
            "support_model",
            "support_policy",
            "created_at",
            "created_by",
            "acknowledged_at",
            "acknowledged_by",
            "mitigated_at",
            "mitigated_by",
            "mitigation_kind",
            "resolved_at",
            "resolved_by",
            "ticket_url",
            "bug_url",
            "postmortem_url",
            "postmortem_done",
            "logged_minutes",
            "integration",
            "fingerprint",
        ]
        read_only_fields = [
            "status",
            "support_model",
            "support_policy",
            "created_at",
            "acknowledged_at",
            "mitigated_at",
            "mitigation_kind",
            "resolved_at",
            "integration",
            "fingerprint",
        ]

    def validate_component(self, component):
        if self.instance is not None and component != self.instance.component:
            raise serializers.ValidationError(
                "The component is fixed when the incident is created."
            )
        return component


class IncidentCreateSerializer(IncidentSerializer):
    """What opening an incident takes; routing, status and follow-up come later."""

    class Meta(IncidentSerializer.Meta):
        fields = [
            "title",
            "description",
            "severity",
            "urgency",
            "component",
            "ticket_url",
            "bug_url",
            "postmortem_url",
        ]
        read_only_fields = []


class IncidentDetailSerializer(IncidentSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline"]


class TransitionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MitigateSerializer(TransitionSerializer):
    kind = choice_text(Incident.MitigationKind.choices, help_text="How the impact was stopped.")
    bug_team = SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        help_text="First line only: the team the follow-up bug goes to (default: the owning team).",
    )


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)


class BugSerializer(serializers.ModelSerializer):
    component = SlugRelatedField(slug_field="slug", queryset=Component.objects.all())
    team = SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        help_text="The team that fixes it; default: the component's responding team.",
    )
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True
    )
    reported_by = SlugRelatedField(**USERNAME)
    investigator = SlugRelatedField(**USERNAME)
    decided_by = SlugRelatedField(**USERNAME)
    state = serializers.CharField(read_only=True)
    overrun = serializers.BooleanField(
        read_only=True, help_text="The investigation ran, or is running, past its timebox."
    )

    class Meta:
        model = Bug
        fields = [
            "id",
            "title",
            "description",
            "severity",
            "component",
            "team",
            "incident",
            "ticket_url",
            "reported_by",
            "created_at",
            "state",
            "timebox_days",
            "investigator",
            "investigation_started_at",
            "timebox_ends_at",
            "investigation_finished_at",
            "overrun",
            "outcome",
            "story_url",
            "story_points",
            "decided_by",
            "closed_at",
            "source",
            "source_id",
        ]
        read_only_fields = [
            "created_at",
            "investigation_started_at",
            "timebox_ends_at",
            "investigation_finished_at",
            "outcome",
            "story_url",
            "story_points",
            "closed_at",
            "source",
            "source_id",
        ]

    def validate_component(self, component):
        if self.instance is not None and component != self.instance.component:
            raise serializers.ValidationError("File a new bug for another component.")
        return component


class BugStartSerializer(serializers.Serializer):
    investigator = SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="Who investigates; default: the caller.",
    )
    timebox_days = serializers.IntegerField(min_value=1, max_value=10, required=False)


class BugDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Bug.Outcome.choices)
    story_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    story_points = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100
    )


class IntegrationSerializer(serializers.ModelSerializer):
    component = SlugRelatedField(
        slug_field="slug", queryset=Component.objects.all(), allow_null=True, required=False
    )
    url = serializers.SerializerMethodField(
        help_text="The secret webhook URL: only in the answer to creation and to regenerate; "
        "Rota keeps a hash of it, not the URL."
    )
    signing_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Optional HMAC-SHA256 key; never shown again. Blank switches signing off.",
    )
    has_signing_secret = serializers.SerializerMethodField()
    kind = choice_text(
        Integration.Kind.choices, required=False, default=Integration.Kind.ALERTMANAGER
    )
    default_severity = choice_text(
        Severity.choices,
        required=False,
        default=Severity.SEV3,
        help_text="For alerts whose severity label is missing or unknown.",
    )

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "kind",
            "component",
            "url",
            "signing_secret",
            "has_signing_secret",
            "resolve_on_alert_resolved",
            "grouping",
            "default_severity",
            "rate_limit_per_minute",
            "active",
            "created_at",
            "token_rotated_at",
            "last_alert_at",
        ]
        read_only_fields = ["created_at", "token_rotated_at", "last_alert_at"]

    def get_url(self, integration) -> str | None:
        return self.context.get("url")

    def get_has_signing_secret(self, integration) -> bool:
        return bool(integration.signing_secret)
