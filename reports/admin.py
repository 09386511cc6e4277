from django.contrib import admin
from django.db import models

from core.admin_scope import TeamScopedAdmin
from core.admin_secrets import SecretFieldsAdmin
from core.admin_times import LocalTimesMixin

from .models import TeamCapacity


@admin.register(TeamCapacity)
class TeamCapacityAdmin(TeamScopedAdmin, SecretFieldsAdmin, LocalTimesMixin, admin.ModelAdmin):
    team_paths = ("team",)
    owner_fields = ("team",)
    secret_fields = ("alert_webhook_url",)
    zone_paths = ("team__timezone",)
    list_display = ["team", "buffer_percent", "team_size", "hours_per_day", "updated_at"]
    list_editable = ["buffer_percent", "team_size", "hours_per_day"]
    list_select_related = ["team"]
    search_fields = ["team__name", "team__slug"]
    autocomplete_fields = ["team"]
    fields = [
        "team",
        "buffer_percent",
        "team_size",
        "hours_per_day",
        "alert_chat",
        "alert_webhook_url",
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
