"""Admin of swap requests: made by engineers, approved or rejected here by managers."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from core.admin_scope import TeamScopedAdmin, under
from core.admin_times import LocalTimesMixin, local_day_filter
from core.exceptions import DomainError, error_text

from . import services
from .admin_common import ROTATION_TEAM_PATHS, local
from .models import SwapRequest


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
            except (DomainError, ValidationError) as exc:
                failed.append(f"#{swap.pk}: {error_text(exc)}")
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
