"""Filters of the incidents API (django-filter); teams and components by slug."""

from django.db.models import Q
from django_filters import rest_framework as filters

from core.input_guards import FilterSet

from ..models import Bug, Incident, Severity


class IncidentFilter(FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=Incident.Status.choices, label="Status (repeat for several)"
    )
    severity = filters.MultipleChoiceFilter(
        choices=Severity.choices, label="Severity (repeat for several)"
    )
    open = filters.BooleanFilter(method="filter_open", label="Not resolved")
    team = filters.CharFilter(method="filter_team", label="Responding or owning team slug")
    responding_team = filters.CharFilter(field_name="responding_team__slug")
    owning_team = filters.CharFilter(field_name="owning_team__slug")
    component = filters.CharFilter(field_name="component__slug", label="Component slug")
    responder = filters.CharFilter(field_name="responder__username", label="Username")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)"
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601)"
    )

    class Meta:
        model = Incident
        fields = ["status", "severity", "urgency", "support_model", "integration", "nobody_paged"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        resolved = Q(status=Incident.Status.RESOLVED)
        return queryset.exclude(resolved) if value else queryset.filter(resolved)

    def filter_team(self, queryset, name, value):
        return queryset.filter(Q(responding_team__slug=value) | Q(owning_team__slug=value))


class BugFilter(FilterSet):
    team = filters.CharFilter(field_name="team__slug", label="Team slug")
    component = filters.CharFilter(field_name="component__slug", label="Component slug")
    severity = filters.MultipleChoiceFilter(choices=Severity.choices)
    open = filters.BooleanFilter(method="filter_open", label="Not decided yet")
    overrun = filters.BooleanFilter(field_name="overrun", label="Ran past the timebox")
    triage_queue = filters.CharFilter(
        method="filter_triage_queue",
        label="Team slug: that team's open bugs in triage order (severity, then age)",
    )
    incident = filters.NumberFilter(field_name="incident_id")

    class Meta:
        model = Bug
        fields = ["team", "component", "severity", "outcome", "incident", "source"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(outcome="") if value else queryset.exclude(outcome="")

    def filter_triage_queue(self, queryset, name, value):
        return queryset.filter(team__slug=value, outcome="", source="").order_by(
            "severity", "created_at", "id"
        )
