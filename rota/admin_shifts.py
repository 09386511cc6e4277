"""Admin of the rota's rows: shifts, overrides, leave, swap requests and the audit trail.

Saves go through :mod:`rota.services` (hand edits mark a shift ``edited``, bump its sequence
and leave an audit row); the forms run the same services first so their errors show on the
form. After a save, clashes with leave are reported as warnings.
"""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin_scope import TeamScopedAdmin, under
from core.admin_times import LocalTimesMixin, local_day_filter
from core.timeutil import ONE_DAY, UTC, start_of_day, wall_clock, zone
from ownership.admin_people import PeopleListFilter
from ownership.models import Team

from . import selectors, services
from .admin_forms import (
    OVERRIDE_FIELDS,
    SHIFT_FIELDS,
    OverrideAdminForm,
    ShiftAdminForm,
    pick,
)
from .admin_import import import_urls
from .exceptions import SwapError
from .models import Override, Rotation, Shift, ShiftChange, SwapRequest, Unavailability
from .services.leave import leave_result_lines

User = get_user_model()
LOCAL = "%a %d %b %Y %H:%M"


def local(instant, rotation, fmt: str = LOCAL) -> str:
    """Format an instant as wall-clock time in the rotation's zone, with the zone's abbreviation.

    E.g. "Mon 06 Jul 2026 09:00 BST" for a London rotation; zones without a common
    abbreviation show their offset ("+04").
    """
    if instant is None:
        return "-"
    return wall_clock(instant, rotation.timezone, fmt)


def assignee(obj) -> str:
    return str(obj.team) if obj.team_id else (obj.user.username if obj.user_id else "-")


def warn_leave(modeladmin, request, conflicts) -> None:
    """Tell the manager about duty that clashes with leave (times in each rotation's zone)."""
    conflicts = conflicts[:10]
    rotations = Rotation.objects.in_bulk({c.rotation_id for c in conflicts})
    for conflict in conflicts:
        entry = conflict.unavailability
        who = conflict.user.username if conflict.user else str(conflict.team)
        rotation = rotations[conflict.rotation_id]
        modeladmin.message_user(
            request,
            f"{who} is away {entry.start_date:%d %b} - {entry.end_date:%d %b} "
            f"({entry.get_kind_display()}) but on duty in {rotation.name} from "
            f"{local(conflict.start, rotation, '%d %b %H:%M')}; "
            "add an override or reassign the shift.",
            messages.WARNING,
        )


# --- Audit trail ----------------------------------------------------------------------------


def _names(changes) -> dict:
    """Return {("user"|"team", id): name} for the people and teams the rows mention."""
    ids = {"user": set(), "team": set()}
    for change in changes:
        for side in (change.old or {}, change.new or {}):
            for kind in ids:
                if side.get(kind):
                    ids[kind].add(side[kind])
    names = {
        ("user", pk): name
        for pk, name in User.objects.filter(pk__in=ids["user"]).values_list("pk", "username")
    }
    names |= {
        ("team", pk): name
        for pk, name in Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name")
    }
    return names


def _stored_time(value, rotation) -> str:
    """Show a start or end kept in an audit row (ISO 8601, UTC) in the rotation's zone."""
    if not value:
        return ""
    try:
        instant = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)[:16].replace("T", " ")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return local(instant, rotation, "%Y-%m-%d %H:%M")


def describe(change, names=None) -> str:
    """Summarise what a change did to the shift, e.g. "user: ana → bo" (times local)."""
    old, new = change.old or {}, change.new or {}
    names = names if names is not None else _names([change])
    parts = []
    for key in ("start", "end", "team", "user", "edited"):
        before, after = old.get(key), new.get(key)
        if before == after or (key == "edited" and change.action != ShiftChange.Action.UPDATED):
            continue
        if key in ("team", "user"):
            before = names.get((key, before), before or "nobody")
            after = names.get((key, after), after or "nobody")
        elif key in ("start", "end"):
            before = _stored_time(before, change.rotation)
            after = _stored_time(after, change.rotation)
        parts.append(f"{key}: {before or '-'} → {after or '-'}")
    return "; ".join(parts) or "-"


class AuditChangeList(ChangeList):
    """Load the names the page's audit rows mention in two queries, not two per row."""

    def get_results(self, request):
        super().get_results(request)
        names = _names(self.result_list)
        for change in self.result_list:
            change.names = names


# The teams whose managers run a rotation (rota.api.permissions.rotation_team_ids): its team,
# the teams in its turn order and those of the team rotation it follows.
ROTATION_TEAM_PATHS = ("team", "participants__team", "follows_team_rotation__participants__team")


@admin.register(ShiftChange)
class ShiftChangeAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Read-only: who changed which shift when."""

    team_paths = under("rotation", ROTATION_TEAM_PATHS)

    list_display = ["when", "rotation", "shift_link", "action", "changed_by", "what", "note"]
    list_filter = [
        local_day_filter("changed_at", "changed on (rotation's day)"),
        "action",
        ("rotation", admin.RelatedOnlyFieldListFilter),
        ("changed_by", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=shift_ref", "changed_by__username", "rotation__name", "note"]
    list_select_related = ["rotation", "changed_by"]
    # Days as the rotation counts them: Django's date_hierarchy would cut them in UTC.
    zone_paths = ("rotation__timezone",)

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    @admin.display(description="changed at", ordering="changed_at")
    def when(self, change):
        return local(change.changed_at, change.rotation)

    @admin.display(description="shift", ordering="shift_ref")
    def shift_link(self, change):
        if change.shift_id is None:
            return f"#{change.shift_ref} (deleted)"
        url = reverse("admin:rota_shift_change", args=[change.shift_id])
        return format_html('<a href="{}">#{}</a>', url, change.shift_ref)

    @admin.display(description="what changed")
    def what(self, change):
        return describe(change, getattr(change, "names", None))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ShiftChangeInline(admin.TabularInline):
    model = ShiftChange
    fk_name = "shift"
    fields = ["when", "action", "changed_by", "what", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-changed_at", "-id"]
    verbose_name_plural = "history of this shift (newest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rotation", "changed_by")

    @admin.display(description="changed at")
    def when(self, change):
        return local(change.changed_at, change.rotation)

    @admin.display(description="what changed")
    def what(self, change):
        return describe(change)

    def has_add_permission(self, request, obj=None):
        return False


# --- Shifts and overrides -------------------------------------------------------------------


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
            return queryset.filter(end__gt=now)
        if self.value() == "past":
            return queryset.filter(end__lte=now)
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
class ShiftAdmin(TeamScopedAdmin, RotationTimesMixin, admin.ModelAdmin):
    team_paths = under("rotation", ROTATION_TEAM_PATHS)
    owner_fields = ("rotation",)
    form = ShiftAdminForm
    list_display = ["rotation", "local_start", "local_end", "on_duty", "edited", "sequence"]
    list_filter = [
        WhenFilter,
        local_day_filter("start", "starts on (rotation's day)"),
        ("rotation", admin.RelatedOnlyFieldListFilter),
        ("team", admin.RelatedOnlyFieldListFilter),
        ("user", PeopleListFilter),
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

    def save_model(self, request, obj, form, change):
        data = pick(form.cleaned_data, SHIFT_FIELDS)
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            if not changed:
                return
            current = Shift.objects.get(pk=obj.pk)
            saved = services.shift_update(shift=current, by=request.user, **changed)
        else:
            rotation = form.cleaned_data["rotation"]
            saved = services.shift_create(rotation=rotation, by=request.user, **data)
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()
        conflicts = selectors.leave_conflicts(
            start=obj.start, end=obj.end, rotations=[obj.rotation]
        )
        warn_leave(self, request, [c for c in conflicts if c.shift_id == obj.pk])

    def delete_model(self, request, obj):
        services.shift_delete(shift=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for shift in queryset:
            services.shift_delete(shift=shift, by=request.user)


@admin.register(Override)
class OverrideAdmin(TeamScopedAdmin, RotationTimesMixin, admin.ModelAdmin):
    team_paths = under("rotation", ROTATION_TEAM_PATHS)
    owner_fields = ("rotation",)
    form = OverrideAdminForm
    list_display = ["rotation", "local_start", "local_end", "on_duty", "reason", "created_by"]
    list_filter = [
        WhenFilter,
        local_day_filter("start", "starts on (rotation's day)"),
        ("rotation", admin.RelatedOnlyFieldListFilter),
        ("user", PeopleListFilter),
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

    def save_model(self, request, obj, form, change):
        data = pick(form.cleaned_data, OVERRIDE_FIELDS)
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            if not changed:
                return
            current = Override.objects.get(pk=obj.pk)
            saved = services.override_update(override=current, **changed)
        else:
            rotation = form.cleaned_data["rotation"]
            saved = services.override_create(rotation=rotation, by=request.user, **data)
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()
        conflicts = selectors.leave_conflicts(
            start=obj.start, end=obj.end, rotations=[obj.rotation]
        )
        warn_leave(self, request, [c for c in conflicts if c.override_id == obj.pk])

    def delete_model(self, request, obj):
        services.override_delete(override=obj)

    def delete_queryset(self, request, queryset):
        for override in queryset:
            services.override_delete(override=override)


# --- Leave ----------------------------------------------------------------------------------


@admin.register(Unavailability)
class UnavailabilityAdmin(TeamScopedAdmin, admin.ModelAdmin):
    # As in the API: a manager enters their team's leave and that of its members.
    team_paths = ("team", "user__memberships__team")
    owner_fields = ("team",)
    list_display = ["who", "start_date", "end_date", "kind", "reason", "source"]
    list_filter = ["kind", "source", ("team", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "start_date"
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "team__name",
        "reason",
    ]
    list_select_related = ["user", "team"]
    # Latest first: the list opens on the coming and newly entered leave, not on the oldest
    # history (a lived-in organisation has pages of past leave and holidays).
    ordering = ["-start_date", "-id"]
    autocomplete_fields = ["user", "team"]
    fields = ["user", "team", "start_date", "end_date", "kind", "reason", "source", "created_by"]
    readonly_fields = ["source", "created_by"]

    FIELDS = ("user", "team", "start_date", "end_date", "reason", "kind")

    def get_urls(self):
        return import_urls(self) + super().get_urls()

    @admin.display(description="who")
    def who(self, entry):
        return str(entry.team) if entry.team_id else entry.user.username

    def save_model(self, request, obj, form, change):
        """Save through the services and say what acting on the leave did: the covers and
        swaps made (names, rotation, local times), then any clash still uncovered."""
        data = pick(form.cleaned_data, self.FIELDS)
        if change:
            # The form already wrote the new dates on ``obj``: the service compares with the
            # stored row to see what moved (and re-makes the covers for new dates).
            current = Unavailability.objects.get(pk=obj.pk)
            saved = services.unavailability_update(unavailability=current, by=request.user, **data)
            obj.refresh_from_db()
        else:
            saved = services.unavailability_create(by=request.user, **data)
            obj.pk = saved.pk
            obj._state.adding = False
            obj.refresh_from_db()
        done, _ = leave_result_lines(saved.settled)
        if done:
            self.message_user(request, "Acting on this leave: " + " ".join(done), messages.SUCCESS)
        elif not change or set(form.changed_data) - {"reason"}:
            # (A change of reason alone acts on nothing: nothing to report.)
            self.message_user(request, "No coming shift needed a cover or a swap.", messages.INFO)
        warn_leave(self, request, self._clashes(obj))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Show the change page with a warning for each clash of this leave left uncovered."""
        if request.method == "GET":
            entry = self.get_object(request, object_id)
            if entry is not None:
                warn_leave(self, request, self._clashes(entry))
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _clashes(entry):
        # A day away is read in each rotation's own time zone: look a day either side.
        start = start_of_day(entry.start_date - ONE_DAY, UTC)
        end = start_of_day(entry.end_date + 2 * ONE_DAY, UTC)
        conflicts = selectors.leave_conflicts(start=start, end=end)
        return [c for c in conflicts if c.unavailability.pk == entry.pk]

    def delete_model(self, request, obj):
        services.unavailability_delete(unavailability=obj)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.unavailability_delete(unavailability=entry)


# --- Swaps ----------------------------------------------------------------------------------


@admin.register(SwapRequest)
class SwapRequestAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    """Swap requests are made by engineers; here managers approve or reject taken ones."""

    team_paths = under("shift__rotation", ROTATION_TEAM_PATHS)

    list_display = [
        "id",
        "rotation",
        "shift_start",
        "offered_by",
        "taken_by",
        "status",
        "requires_approval",
        "created_at",
    ]
    list_filter = [
        local_day_filter("created_at", "asked on (rotation's day)"),
        "status",
        "requires_approval",
    ]
    search_fields = ["offered_by__username", "taken_by__username", "shift__rotation__name"]
    list_select_related = ["shift__rotation", "offered_by", "taken_by"]
    zone_paths = ("shift__rotation__timezone",)
    actions = ["approve", "reject"]
    readonly_fields = [
        "shift_times",
        "offered_by",
        "taken_by",
        "status",
        "requires_approval",
        "approved_by",
        "closed_by",
        "message",
        "created_at",
        "taken_at",
        "closed_at",
    ]
    fields = readonly_fields

    @admin.display(description="rotation", ordering="shift__rotation__name")
    def rotation(self, swap):
        return swap.shift.rotation

    @admin.display(description="shift starts", ordering="shift__start")
    def shift_start(self, swap):
        return local(swap.shift.start, swap.shift.rotation)

    @admin.display(description="shift")
    def shift_times(self, swap):
        shift = swap.shift
        url = reverse("admin:rota_shift_change", args=[shift.pk])
        span = f"{local(shift.start, shift.rotation)} - {local(shift.end, shift.rotation)}"
        return format_html('<a href="{}">#{}</a> in {}: {}', url, shift.pk, shift.rotation, span)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, service, verb):
        done, failed = 0, []
        warnings = []
        for swap in queryset.select_related("shift__rotation", "taken_by"):
            warning = services.swap_run_warning(swap) if verb == "approved" else ""
            try:
                service(swap=swap, by=request.user)
                done += 1
                if warning:
                    warnings.append(f"#{swap.pk}: {warning}")
            except SwapError as exc:
                failed.append(f"#{swap.pk}: {exc}")
        if done:
            self.message_user(
                request, f"{verb.capitalize()} {done} swap{'s' * (done != 1)}.", messages.SUCCESS
            )
        for line in warnings:
            self.message_user(request, f"Approved, but {line}", messages.WARNING)
        for line in failed:
            self.message_user(request, f"Not {verb}: {line}", messages.ERROR)

    @admin.action(
        description="Approve selected swaps (the shift goes to the taker)", permissions=["change"]
    )
    def approve(self, request, queryset):
        self._decide(request, queryset, services.swap_approve, "approved")

    @admin.action(description="Reject selected swaps (the shift stays)", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, services.swap_reject, "rejected")
