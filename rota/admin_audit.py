"""Admin of the audit trail of shifts: every change, in the rotation's local time, read-only."""

import datetime

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse
from django.utils.html import format_html

from core.admin_scope import TeamScopedAdmin, under
from core.admin_times import local_day_filter
from core.timeutil import UTC
from ownership.models import Team

from .admin_common import ROTATION_TEAM_PATHS, User, local
from .models import ShiftChange


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
