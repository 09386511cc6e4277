"""Admin for bugs: the triage queue, timebox overrun flags and triage actions."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin_scope import TeamScopedAdmin
from core.admin_times import LocalTimesMixin, local_day_filter
from core.exceptions import DomainError, error_text

from .. import selectors, services
from ..models import Bug
from ._common import URL_FIELDS, severity_badge


class TriageFilter(admin.SimpleListFilter):
    title = "triage"
    parameter_name = "triage"

    def lookups(self, request, model_admin):
        return [
            ("queue", "Triage queue (open, worst and oldest first)"),
            ("overrun", "Timebox overrun"),
            ("decided", "Decided"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "queue":
            return queryset.filter(outcome="", source="").order_by("severity", "created_at", "id")
        if self.value() == "overrun":
            return queryset.filter(overrun=True)
        if self.value() == "decided":
            return queryset.exclude(outcome="")
        return queryset


@admin.register(Bug)
class BugAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    team_paths = ("team",)
    owner_fields = ("team",)
    formfield_overrides = URL_FIELDS
    zone_paths = ("team__timezone",)
    list_display = [
        "id",
        "title",
        "severity_badge",
        "team",
        "component",
        "state",
        "timebox_ends_at",
        "overrun_flag",
        "outcome",
        "created_at",
    ]
    list_display_links = ["id", "title"]
    list_filter = [
        TriageFilter,
        local_day_filter("created_at", "reported on (team's day)"),
        "team",
        "severity",
        "outcome",
        "source",
    ]
    search_fields = ["title", "description", "component__slug", "source_id"]
    autocomplete_fields = ["component", "team"]
    raw_id_fields = ["incident"]
    actions = ["start_investigation", "wont_fix"]
    fieldsets = [
        (None, {"fields": ["title", "description", "severity", "component", "team", "incident"]}),
        ("Links", {"fields": ["ticket_url"]}),
        (
            "Investigation",
            {
                "fields": [
                    "timebox_days",
                    "investigator",
                    "investigation_started_at",
                    "timebox_ends_at",
                    "investigation_finished_at",
                ]
            },
        ),
        (
            "Outcome",
            {"fields": ["outcome", "story_url", "story_points", "decided_by", "closed_at"]},
        ),
        ("Imported from", {"fields": ["source", "source_id"]}),
    ]
    readonly_fields = [
        "closed_at",
        "source",
        "source_id",
        "investigator",
        "investigation_started_at",
        "timebox_ends_at",
        "investigation_finished_at",
        "outcome",
        "story_url",
        "story_points",
        "decided_by",
    ]

    def get_queryset(self, request):
        return selectors.bug_list()

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, obj):
        return severity_badge(obj)

    @admin.display(description="overrun", boolean=True, ordering="overrun")
    def overrun_flag(self, obj):
        return obj.overrun

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            services.bug_update(bug=obj, **data)
            return
        fields = ["title", "description", "severity", "component", "team", "incident"]
        data = {name: form.cleaned_data[name] for name in [*fields, "ticket_url", "timebox_days"]}
        created = services.bug_create(by=request.user, **data)
        obj.pk = created.pk
        obj.refresh_from_db()

    def _each(self, request, queryset, act, verb):
        done = 0
        for bug in queryset:
            try:
                act(bug)
                done += 1
            except (DomainError, ValidationError) as exc:
                self.message_user(request, f"{bug.title}: {error_text(exc)}", messages.WARNING)
        if done:
            self.message_user(request, f"{verb} {done} bug(s).", messages.SUCCESS)

    @admin.action(description="Start the timeboxed investigation (by me)")
    def start_investigation(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda bug: services.bug_investigation_start(bug=bug, by=request.user),
            "Started investigating",
        )

    @admin.action(description="Decide: won't fix")
    def wont_fix(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda bug: services.bug_decide(bug=bug, outcome=Bug.Outcome.WONT_FIX, by=request.user),
            "Closed as won't fix",
        )
