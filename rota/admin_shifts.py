"""Admin of shifts and overrides, in each rotation's time zone.

Saves go through :mod:`rota.services` (hand edits mark a shift ``edited``, bump its sequence
and leave an audit row); the forms run the same services first so their errors show on the
form. After a save, clashes with leave are reported as warnings. The audit trail is in
:mod:`rota.admin_audit`, leave in :mod:`rota.admin_leave`, swaps in :mod:`rota.admin_swaps`.
"""

from django.conf import settings
from django.contrib import admin
from django.db.models import DateTimeField, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.admin_paginator import CappedCountPaginator
from core.admin_scope import TeamScopedAdmin, under
from core.admin_services import ServiceWritesAdmin
from core.admin_times import local_day_filter
from core.timeutil import zone

from . import selectors, services
from .admin_audit import ShiftChangeInline
from .admin_common import ROTATION_TEAM_PATHS, assignee, local, warn_leave
from .admin_forms import (
    OVERRIDE_FIELDS,
    SHIFT_FIELDS,
    OverrideAdminForm,
    ShiftAdminForm,
)
from .admin_list_filters import RotationListFilter, TurnPeopleListFilter, TurnTeamListFilter
from .models import Override, Rotation, Shift


class WhenFilter(admin.SimpleListFilter):
    """Shifts (or overrides) still running or to come by default, soonest first; or the past,
    latest first; or all. A day picked in the "starts on" filter shows that day whatever this
    filter's default."""

    title = "when"
    parameter_name = "when"
    DEFAULT = "upcoming"

    def __init__(self, request, params, model, model_admin):
        self.day_picked = "start_day" in params
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [("upcoming", "Now and to come"), ("past", "Past"), ("all", "All")]

    def value(self):
        return super().value() or ("all" if self.day_picked else self.DEFAULT)

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            if queryset.model is Shift:
                # Lists go by start: bound it below by the earliest start among the shifts in
                # force (one per rotation), so the index on start is read from there, not
                # from the first shift ever.
                floor = selectors.shifts_in_force(at=now).order_by("start").values("start")[:1]
                since = Coalesce(Subquery(floor), Value(now), output_field=DateTimeField())
                return queryset.filter(end__gt=now, start__gte=since)
            return queryset.filter(end__gt=now)
        if self.value() == "past":
            # Implied (end > start), but it lets the index on start skip what is to come.
            return queryset.filter(end__lte=now, start__lt=now)
        return queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class RotationTimesMixin:
    zone_paths = ("rotation__timezone",)
    # Shift and override tables grow without bound: a filtered page says "N results" without
    # a second COUNT(*) over the whole table for "(M total)".
    show_full_result_count = False

    def get_ordering(self, request):
        # Coming first on the default view (WhenFilter); the past reads newest first. The
        # API's ordering is its own (rota.api), untouched by this.
        if request.GET.get(WhenFilter.parameter_name) == "past":
            return ["-start", "-id"]
        return ["start", "id"]

    @admin.display(description="start", ordering="start")
    def local_start(self, obj):
        return local(obj.start, obj.rotation)

    @admin.display(description="end", ordering="end")
    def local_end(self, obj):
        return local(obj.end, obj.rotation)

    @admin.display(description="on duty")
    def on_duty(self, obj):
        return assignee(obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "rotation"] if obj is not None else readonly

    def form_zone_name(self, request, object_id=None) -> str:
        """Return the zone the form's times are read in: the row's rotation's, on an add page
        the rotation chosen (posted, or ``?rotation=<id>``), else ``settings.TIME_ZONE``."""
        name = None
        if object_id is not None:
            name = (
                self.model.objects.filter(pk=object_id)
                .values_list("rotation__timezone", flat=True)
                .first()
            )
        else:
            key = request.POST.get("rotation") or request.GET.get("rotation")
            if key and str(key).isdigit():
                name = Rotation.objects.filter(pk=key).values_list("timezone", flat=True).first()
        return name or settings.TIME_ZONE

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Render the page with the form's zone active.

        The admin's "Now" shortcut (DateTimeShortcuts.js) fills in the active zone's wall
        clock, from ``<body data-admin-utc-offset>``; the form reads its times in the
        rotation's zone (:class:`~rota.admin_forms.RotationTimesForm`), so the two must agree.
        Nothing on these pages is converted by the active zone: the form fields and every
        read-only time are already formatted in the rotation's zone.
        """
        with timezone.override(zone(self.form_zone_name(request, object_id))):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response


@admin.register(Shift)
class ShiftAdmin(ServiceWritesAdmin, TeamScopedAdmin, RotationTimesMixin, admin.ModelAdmin):
    # Hand edits go through the services: ``edited``, sequence + 1, an audit row.
    service_create = staticmethod(services.shift_create)
    service_update = staticmethod(services.shift_update)
    service_delete = staticmethod(services.shift_delete)
    service_object = "shift"
    service_fields = SHIFT_FIELDS
    service_create_fields = ("rotation",)
    service_by = frozenset({"create", "update", "delete"})
    team_paths = under("rotation", ROTATION_TEAM_PATHS)
    owner_fields = ("rotation",)
    form = ShiftAdminForm
    list_display = ["rotation", "local_start", "local_end", "on_duty", "edited", "sequence"]
    # Counting every upcoming or past shift to number the pages read them all.
    paginator = CappedCountPaginator
    list_filter = [
        WhenFilter,
        local_day_filter("start", "starts on (rotation's day)"),
        # Choices from the rotations and their turn orders, not a scan of the shifts.
        ("rotation", RotationListFilter),
        ("team", TurnTeamListFilter),
        ("user", TurnPeopleListFilter),
        "edited",
    ]
    search_fields = [
        "rotation__name",
        "user__username",
        "user__first_name",
        "user__last_name",
        "team__name",
        "team__slug",
        "note",
    ]
    list_select_related = ["rotation", "team", "user"]
    autocomplete_fields = ["rotation", "team", "user"]
    readonly_fields = ["edited", "sequence", "generated_team", "generated_user", "last_updated"]
    fieldsets = [
        (
            None,
            {
                "fields": ["rotation", "start", "end", "team", "user", "note"],
                "description": "Times are in the rotation's time zone. Saving marks the "
                "shift as edited by hand: generation will leave it as it is.",
            },
        ),
        (
            "Bookkeeping",
            {
                "fields": [
                    "edited",
                    "sequence",
                    "generated_team",
                    "generated_user",
                    "last_updated",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [ShiftChangeInline]

    @admin.display(description="updated at")
    def last_updated(self, shift):
        return local(shift.updated_at, shift.rotation)

    def service_saved(self, request, obj, form, change, saved):
        conflicts = selectors.leave_conflicts(
            start=obj.start, end=obj.end, rotations=[obj.rotation]
        )
        warn_leave(self, request, [c for c in conflicts if c.shift_id == obj.pk])


@admin.register(Override)
class OverrideAdmin(ServiceWritesAdmin, TeamScopedAdmin, RotationTimesMixin, admin.ModelAdmin):
    service_create = staticmethod(services.override_create)
    service_update = staticmethod(services.override_update)
    service_delete = staticmethod(services.override_delete)
    service_object = "override"
    service_fields = OVERRIDE_FIELDS
    service_create_fields = ("rotation",)
    service_by = frozenset({"create"})
    team_paths = under("rotation", ROTATION_TEAM_PATHS)
    owner_fields = ("rotation",)
    form = OverrideAdminForm
    list_display = ["rotation", "local_start", "local_end", "on_duty", "reason", "created_by"]
    list_filter = [
        WhenFilter,
        local_day_filter("start", "starts on (rotation's day)"),
        ("rotation", RotationListFilter),
        ("user", TurnPeopleListFilter),
    ]
    search_fields = ["rotation__name", "user__username", "team__name", "reason"]
    list_select_related = ["rotation", "team", "user", "created_by"]
    autocomplete_fields = ["rotation", "user", "team"]
    fieldsets = [
        (
            None,
            {
                "fields": ["rotation", "start", "end", "user", "team", "reason"],
                "description": "Times are in the rotation's time zone. The person (or team) "
                "named here covers the window instead of whoever holds the shift. An override "
                "may lie inside another one (a cover for the cover, which holds its window) but "
                "not overlap one partly.",
            },
        ),
    ]

    def service_saved(self, request, obj, form, change, saved):
        conflicts = selectors.leave_conflicts(
            start=obj.start, end=obj.end, rotations=[obj.rotation]
        )
        warn_leave(self, request, [c for c in conflicts if c.override_id == obj.pk])
