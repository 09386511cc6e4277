"""Admin for alert integrations (with URL regeneration), the inbox of refused payloads and
the alert states that tell repeated notifications from new firings."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from core.admin_scope import TeamScopedAdmin
from core.admin_secrets import SecretFieldsAdmin
from core.admin_times import LocalTimesMixin, local_day_filter

from .. import services
from ..models import AlertState, InboxItem, Integration


class IntegrationForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = [
            "name",
            "kind",
            "component",
            "active",
            "grouping",
            "default_severity",
            "resolve_on_alert_resolved",
            "rate_limit_per_minute",
            "signing_secret",
        ]


@admin.register(Integration)
class IntegrationAdmin(TeamScopedAdmin, SecretFieldsAdmin, LocalTimesMixin, admin.ModelAdmin):
    # As in the API: managers of the team owning the component (none: rota admins only).
    team_paths = ("component__effective_owner_team",)
    owner_fields = ("component",)
    secret_fields = ("signing_secret",)
    form = IntegrationForm
    # The team owning the component the integration raises incidents on.
    zone_paths = ("component__effective_owner_team__timezone",)
    list_display = [
        "name",
        "kind",
        "component",
        "active",
        "grouping",
        "resolve_on_alert_resolved",
        "rate_limit_per_minute",
        "last_alert_at",
        "token_rotated_at",
    ]
    list_filter = ["kind", "active", "grouping"]
    search_fields = ["name", "component__slug", "component__name"]
    list_select_related = ["component"]
    autocomplete_fields = ["component"]
    readonly_fields = ["token_rotated_at", "last_alert_at", "created_by"]
    actions = ["regenerate"]

    def _show_url(self, request, integration, url):
        self.message_user(
            request,
            format_html(
                "Webhook URL of {}: <code>{}</code> - copy it now, Rota keeps only a hash and "
                "will not show it again.",
                integration.name,
                url,
            ),
            messages.WARNING,
        )

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in IntegrationForm.Meta.fields}
        if change:
            services.integration_update(integration=obj, **data)
            return
        created, url = services.integration_create(by=request.user, **data)
        obj.pk = created.pk
        obj.refresh_from_db()
        self._show_url(request, created, url)

    @admin.action(
        description="Regenerate the webhook URL (the old one stops working)",
        permissions=["change"],
    )
    def regenerate(self, request, queryset):
        for integration in queryset:
            self._show_url(
                request, integration, services.integration_regenerate(integration=integration)
            )


@admin.register(InboxItem)
class InboxItemAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    team_paths = ("integration__component__effective_owner_team",)
    zone_paths = ("integration__component__effective_owner_team__timezone",)
    list_display = [
        "received_at",
        "integration",
        "reason",
        "status_code",
        "short_error",
        "processed_at",
    ]
    list_filter = [
        local_day_filter("received_at", "received on (owning team's day)"),
        "reason",
        "integration",
        ("processed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["error"]
    list_select_related = ["integration__component__effective_owner_team"]
    fields = [
        "received_at",
        "integration",
        "reason",
        "status_code",
        "error",
        "body_text",
        "headers_text",
        "processed_at",
        "incidents",
    ]
    readonly_fields = fields
    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error if len(obj.error) <= 100 else obj.error[:97] + "..."

    @admin.display(description="body as received")
    def body_text(self, obj):
        text = bytes(obj.body).decode("utf-8", errors="replace")
        if len(text) > 100_000:
            text = text[:100_000] + "\n[... cut for display]"
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text)

    @admin.display(description="headers (credentials removed)")
    def headers_text(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.headers, indent=2, sort_keys=True))

    @admin.action(description="Process the selected payloads again")
    def process_again(self, request, queryset):
        for item in queryset.select_related("integration"):
            try:
                result = services.inbox_reprocess(item=item)
            except ValidationError as exc:
                self.message_user(request, f"{item}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{item}: incidents {', '.join(map(str, result.incident_ids)) or 'none'}.",
                    messages.SUCCESS,
                )


@admin.register(AlertState)
class AlertStateAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    team_paths = ("integration__component__effective_owner_team",)
    """Read-only: why a notification was taken for a repeat (see the README's alert rules)."""

    list_display = [
        "key",
        "integration",
        "status",
        "starts_at",
        "ends_at",
        "incident",
        "updated_at",
    ]
    list_filter = ["status", "integration"]
    search_fields = ["key"]
    list_select_related = ["integration", "incident__responding_team"]
    zone_paths = (
        "incident__responding_team__timezone",
        "integration__component__effective_owner_team__timezone",
    )
    fields = list_display
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
