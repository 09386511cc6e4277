import datetime

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from core.admin_scope import RotaAdminOnly, TeamScopedAdmin, under
from core.admin_secrets import SecretFieldsAdmin
from core.admin_times import LocalTimesMixin, local_day_filter
from rota.admin_common import ROTATION_TEAM_PATHS

from . import services
from .models import ChangeNotice, Delivery, NotificationPreference

# A delivery about a rotation reads in its zone, else in its team's, else the site's.
DELIVERY_ZONE = ("rotation__timezone", "team__timezone")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(RotaAdminOnly, SecretFieldsAdmin, admin.ModelAdmin):
    """Rota admins edit anyone's preferences here; people edit their own at /me/notifications/.

    Preferences are personal (where and when someone is paged), so a team's manager has no
    view or change here: membership of their team must not hand them another person's pages
    (a webhook pointed elsewhere, e-mail switched off).
    """

    secret_fields = ("chat_webhook_url",)

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "user",
        "email_enabled",
        "chat_enabled",
        "lead_times",
        "quiet_hours_start",
        "quiet_hours_end",
        "timezone",
        "feed_busy",
    ]
    list_filter = ["email_enabled", "chat_enabled", "feed_busy"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    fieldsets = [
        (None, {"fields": ["user", "timezone"]}),
        ("Channels", {"fields": ["email_enabled", "chat_enabled", "chat_webhook_url"]}),
        ("When", {"fields": ["lead_times", "quiet_hours_start", "quiet_hours_end"]}),
        ("What", {"fields": ["capacity_alerts", "triage_agenda", "timebox_alerts"]}),
        ("Calendar feeds", {"fields": ["feed_busy"]}),
    ]

    def save_model(self, request, obj, form, change):
        # A new row starts from the defaults (free), so a busy one is a change there too.
        if "feed_busy" in form.changed_data:
            services.preference_feed_busy_changed(preference=obj)
        super().save_model(request, obj, form, change)


class FailedFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("failed", "Failed"), ("stuck", "Pending or sending for over an hour")]

    def queryset(self, request, queryset):
        hour_ago = timezone.now() - datetime.timedelta(hours=1)
        if self.value() == "failed":
            return queryset.filter(status=Delivery.Status.FAILED)
        if self.value() == "stuck":
            return queryset.filter(
                status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING],
                not_before__lt=hour_ago,
            )
        return queryset


@admin.register(Delivery)
class DeliveryAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    """The delivery log: every message to every recipient, failed ones flagged."""

    team_paths = ("team", *under("rotation", ROTATION_TEAM_PATHS), "user__memberships__team")

    zone_paths = DELIVERY_ZONE
    list_display = [
        "created_at",
        "kind",
        "recipient",
        "channel",
        "status_flag",
        "attempts",
        "occurs_at",
        "sent_at",
        "subject",
    ]
    list_filter = [
        FailedFilter,
        local_day_filter("created_at", "created on (rotation's or team's day)"),
        "status",
        "kind",
        "channel",
        "urgent",
    ]
    search_fields = ["key", "subject", "user__username", "team__name", "last_error"]
    list_select_related = ["user", "team", "rotation"]
    actions = ["retry"]
    readonly_fields = [
        "key",
        "channel",
        "kind",
        "user",
        "team",
        "rotation",
        "shift",
        "override",
        "occurs_at",
        "payload",
        "urgent",
        "status",
        "attempts",
        "last_error",
        "subject",
        "not_before",
        "enqueued_at",
        "claimed_at",
        "batch",
        "created_at",
        "updated_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False  # rows come from the scanner only; "retry" is what to do with one

    @admin.display(description="to", ordering="user__username")
    def recipient(self, obj):
        return obj.recipient_label

    @admin.display(description="status", ordering="status")
    def status_flag(self, obj):
        if obj.status == Delivery.Status.FAILED:
            return format_html('<strong style="color:#ba2121">⚠ {}</strong>', "failed")
        return obj.get_status_display()

    @admin.action(
        description="Retry the selected failed or skipped deliveries", permissions=["change"]
    )
    def retry(self, request, queryset):
        retried = sum(services.delivery_retry(delivery=d) for d in queryset)
        ignored = queryset.count() - retried
        self.message_user(request, f"{retried} delivery(ies) queued to be sent again.")
        if ignored:
            self.message_user(
                request,
                f"{ignored} left alone: only failed or skipped deliveries can be retried.",
                messages.WARNING,
            )


@admin.register(ChangeNotice)
class ChangeNoticeAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    team_paths = (*under("rotation", ROTATION_TEAM_PATHS), "user__memberships__team")
    list_display = ["recorded_at", "user", "source", "rotation", "starts_at"]
    list_filter = [local_day_filter("recorded_at", "recorded on (rotation's day)")]
    search_fields = ["user__username", "source"]
    list_select_related = ["user", "rotation"]
    readonly_fields = ["user", "source", "rotation", "recorded_at", "starts_at", "summary"]
    zone_paths = ("rotation__timezone",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
