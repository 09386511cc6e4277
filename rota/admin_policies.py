"""Admin of the organisation-wide rota settings: sprint calendars, support policies, routing.

Routing settings are one row. Every save goes through :mod:`rota.services`.
"""

from django.contrib import admin
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_scope import RotaAdminOnly
from core.admin_services import ServiceWritesAdmin

from . import services
from .admin_forms import SupportPolicyAdminForm
from .models import (
    RoutingSettings,
    SprintCalendar,
    SupportPolicy,
    SupportPolicyComponent,
)

# --- Sprint calendars -----------------------------------------------------------------------


@admin.register(SprintCalendar)
class SprintCalendarAdmin(ServiceWritesAdmin, RotaAdminOnly, admin.ModelAdmin):
    service_create = staticmethod(services.sprint_calendar_create)
    service_update = staticmethod(services.sprint_calendar_update)
    service_object = "calendar"
    list_display = ["name", "start_date", "length_days", "timezone", "current_sprint"]
    list_filter = ["length_days", "timezone"]
    search_fields = ["name"]
    readonly_fields = ["upcoming_sprints"]
    fields = ["name", "start_date", "length_days", "timezone", "upcoming_sprints"]

    @admin.display(description="current sprint")
    def current_sprint(self, calendar):
        number, first, last = calendar.sprint_containing(timezone.localdate())
        return f"#{number}: {first:%d %b} - {last:%d %b %Y}"

    @admin.display(description="upcoming sprints")
    def upcoming_sprints(self, calendar):
        if calendar.pk is None:
            return "Shown once the calendar is saved."
        today = timezone.localdate()
        first = calendar.sprint_number(today)
        rows = [(n, *calendar.sprint_dates(n)) for n in range(first, first + 6)]
        return format_html(
            "<table><tr><th>Sprint</th><th>First day</th><th>Last day</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>#{}</td><td>{:%a %d %b %Y}</td><td>{:%a %d %b %Y}</td></tr>",
                rows,
            ),
        )


# --- Support policies -----------------------------------------------------------------------


@admin.register(SupportPolicy)
class SupportPolicyAdmin(ServiceWritesAdmin, RotaAdminOnly, admin.ModelAdmin):
    service_create = staticmethod(services.support_policy_create)
    service_update = staticmethod(services.support_policy_update)
    service_delete = staticmethod(services.support_policy_delete)
    service_object = "policy"
    form = SupportPolicyAdminForm
    list_display = ["name", "model", "covers", "responders", "first_line_rotation"]
    list_filter = ["model"]
    search_fields = ["name", "description", "component_links__component__slug"]
    list_select_related = ["team_rotation", "dedicated_team", "first_line_rotation"]
    autocomplete_fields = ["team_rotation", "dedicated_team", "first_line_rotation"]
    fieldsets = [
        (None, {"fields": ["name", "description", "model", "covered_components"]}),
        ("Who responds", {"fields": ["team_rotation", "dedicated_team", "first_line_rotation"]}),
        ("First line", {"fields": ["owner_paging", "first_line_window_minutes"]}),
    ]

    def get_queryset(self, request):
        links = SupportPolicyComponent.objects.select_related("component")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("component_links", queryset=links))
        )

    @admin.display(description="covers")
    def covers(self, policy):
        slugs = [link.component.slug for link in policy.component_links.all()]
        return ", ".join(slugs) if slugs else "everything else (the default policy)"

    @admin.display(description="responders")
    def responders(self, policy):
        if policy.model == SupportPolicy.Model.ROTATING:
            return f"team on shift in {policy.team_rotation}"
        if policy.model == SupportPolicy.Model.DEDICATED:
            return str(policy.dedicated_team)
        return "the owning team"

    def service_data(self, request, form, change) -> dict:
        components = list(form.cleaned_data.get("covered_components") or ())
        return {**form.service_data(), "components": components}

    def save_related(self, request, form, formsets, change):
        """Do nothing: the service saved the covered components with the policy."""


# --- Routing settings (one row) ---------------------------------------------------------------


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(RotaAdminOnly, admin.ModelAdmin):
    """The organisation's one row of routing settings: added once, never deleted."""

    list_display = ["__str__", "fallback_rotation", "fallback_team", "cover_check_max_tier"]
    list_select_related = ["fallback_rotation", "fallback_team"]
    autocomplete_fields = ["fallback_rotation", "fallback_team"]
    fields = ["fallback_rotation", "fallback_team", "cover_check_max_tier"]

    def has_add_permission(self, request):
        return (
            super().has_add_permission(request)
            and not RoutingSettings.objects.filter(pk=RoutingSettings.SINGLETON_ID).exists()
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Everything reads the row with pk 1, and cached on-call answers must notice at once.
        services.routing_settings_update(
            **{name: form.cleaned_data[name] for name in form.changed_data if name in self.fields}
        )
        obj.pk = RoutingSettings.SINGLETON_ID
