"""Filters of the rota's list endpoints (django-filter); people by username, teams by slug."""

from django.db.models import Q
from django_filters import rest_framework as filters

from core.input_guards import FilterSet

from ..models import (
    Override,
    Rotation,
    Shift,
    SprintCalendar,
    SupportPolicy,
    SwapRequest,
    Unavailability,
)


class SprintCalendarFilter(FilterSet):
    class Meta:
        model = SprintCalendar
        fields = ["name", "timezone"]


class RotationFilter(FilterSet):
    team = filters.CharFilter(field_name="team__slug", label="Team slug (person rotations)")
    participant = filters.CharFilter(
        method="filter_participant", label="Participating team slug or username"
    )

    class Meta:
        model = Rotation
        fields = ["team", "kind", "role", "active", "sprint_calendar", "follows_team_rotation"]

    def filter_participant(self, queryset, name, value):
        return queryset.filter(
            Q(participants__team__slug=value) | Q(participants__user__username=value)
        ).distinct()


class WindowFilter(FilterSet):
    """Common time-window filters: rows ending after ``start_after`` and so on."""

    start_after = filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="gte", label="Starts at or after (ISO 8601)"
    )
    start_before = filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="lt", label="Starts before (ISO 8601)"
    )
    end_after = filters.IsoDateTimeFilter(
        field_name="end", lookup_expr="gt", label="Ends after (ISO 8601)"
    )
    end_before = filters.IsoDateTimeFilter(
        field_name="end", lookup_expr="lte", label="Ends at or before (ISO 8601)"
    )
    rotation = filters.NumberFilter(field_name="rotation_id", label="Rotation id")
    team = filters.CharFilter(field_name="team__slug", label="Team slug")
    user = filters.CharFilter(field_name="user__username", label="Username")


class ShiftFilter(WindowFilter):
    class Meta:
        model = Shift
        fields = ["rotation", "team", "user", "edited"]


class OverrideFilter(WindowFilter):
    class Meta:
        model = Override
        fields = ["rotation", "team", "user"]


class SwapFilter(FilterSet):
    rotation = filters.NumberFilter(field_name="shift__rotation_id", label="Rotation id")
    offered_by = filters.CharFilter(field_name="offered_by__username", label="Username")
    taken_by = filters.CharFilter(field_name="taken_by__username", label="Username")
    open = filters.BooleanFilter(method="filter_open", label="Offered or awaiting approval")

    class Meta:
        model = SwapRequest
        fields = ["shift", "status", "rotation", "offered_by", "taken_by"]

    def filter_open(self, queryset, name, value):
        lookup = {"status__in": SwapRequest.OPEN_STATUSES}
        return queryset.filter(**lookup) if value else queryset.exclude(**lookup)


class UnavailabilityFilter(FilterSet):
    user = filters.CharFilter(field_name="user__username", label="Username")
    team = filters.CharFilter(field_name="team__slug", label="Team slug")
    after = filters.DateFilter(field_name="end_date", lookup_expr="gte", label="Ends on or after")
    before = filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label="Starts on or before"
    )

    class Meta:
        model = Unavailability
        fields = ["user", "team", "kind", "source"]


class SupportPolicyFilter(FilterSet):
    component = filters.CharFilter(
        field_name="component_links__component__slug", label="Names this component slug"
    )

    class Meta:
        model = SupportPolicy
        fields = ["model", "component"]
