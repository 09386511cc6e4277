from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet

from core.admin_scope import RotaAdminOnly, TeamScopedAdmin
from core.admin_secrets import SecretFieldsAdmin
from core.admin_services import ServiceWritesAdmin
from core.admin_times import LocalTimesMixin, local_day_filter
from core.permissions import is_rota_admin

from . import services
from .admin_catalog import CatalogAdminMixin
from .admin_people import may_pick_people, pickable_people
from .models import Component, ComponentPath, Membership, OwnershipPeriod, Team
from .selectors import managed_team_ids

# Links typed without a scheme are https, as browsers and Django 6 assume.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class MembershipFormSet(BaseInlineFormSet):
    """A team's members; only rota admins add, remove or change a rota admin's membership."""

    by = None  # the person asking, set per request by MembershipInline.get_formset

    def clean(self):
        super().clean()
        if self.by is None or is_rota_admin(self.by):
            return
        touched = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            deleted = self.can_delete and self._should_delete_form(form)
            if not (form.has_changed() or deleted):
                continue
            if form.instance.pk is not None:
                touched.append(Membership.objects.get(pk=form.instance.pk).user)
            if form.cleaned_data.get("user") is not None:
                touched.append(form.cleaned_data["user"])
        admins = services.rota_admins_among(touched)
        if admins:
            names = ", ".join(sorted({user.username for user in admins}))
            raise ValidationError(services.ROTA_ADMIN_MEMBERSHIP_MESSAGE.format(names=names))


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ["user"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"by": request.user})


class TeamMembershipInline(admin.TabularInline):
    """The teams a user belongs to, on the user's admin page."""

    model = Membership
    extra = 0
    autocomplete_fields = ["team"]


@admin.register(Team)
class TeamAdmin(ServiceWritesAdmin, TeamScopedAdmin, SecretFieldsAdmin, admin.ModelAdmin):
    # Saves are Django's (then the holiday refresh below); deletes go through the service.
    service_delete = staticmethod(services.team_delete)
    service_object = "team"
    # Managers change the teams they manage; new teams are the rota admins' (as in the API).
    team_paths = ("id",)
    manager_may_add = False
    secret_fields = ("chat_webhook_url",)
    formfield_overrides = URL_FIELDS
    list_display = ["name", "slug", "kind", "timezone", "member_count", "email", "chat_channel"]
    search_fields = ["name", "slug", "email", "memberships__user__username"]
    list_filter = ["kind", "timezone"]
    ordering = ["name"]  # pickers page through teams by name
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "description", "timezone"]}),
        (
            "Public holidays",
            {
                "fields": ["public_holidays"],
                "description": "Taken from the holidays package and kept as the team's "
                "public holidays (under Rota, Unavailability), refreshed every night.",
            },
        ),
        ("Contact", {"fields": ["email", "chat_channel", "chat_webhook_url"]}),
        (
            "Weekly bug triage",
            {
                "fields": ["triage_day", "triage_time"],
                "description": "The team's leads and managers get the agenda that morning "
                "(see the README, Notifications).",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("memberships"))

    @admin.display(description="members", ordering="_members")
    def member_count(self, obj):
        return obj._members

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "public_holidays" in form.changed_data:
            services.team_public_holidays_changed(team=obj)


class ComponentPathInline(admin.TabularInline):
    model = ComponentPath
    extra = 1
    fields = ["pattern"]
    verbose_name = "code path glob"
    verbose_name_plural = "code path globs (CODEOWNERS-style; the most specific match wins)"


class OwnershipPeriodInline(LocalTimesMixin, admin.TabularInline):
    model = OwnershipPeriod
    zone_paths = ("team__timezone",)
    extra = 0
    can_delete = False
    fields = ["team", "inherited", "valid_from", "valid_to", "changed_by", "note"]
    readonly_fields = fields
    verbose_name_plural = "ownership history (newest first)"
    ordering = ["-valid_from"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Component)
class ComponentAdmin(ServiceWritesAdmin, TeamScopedAdmin, CatalogAdminMixin, admin.ModelAdmin):
    service_delete = staticmethod(services.component_delete)
    service_object = "component"
    # As in the API: a manager changes the components their teams own, directly or inherited,
    # and gives a component only to a team they manage.
    team_paths = ("effective_owner_team",)
    owner_fields = ("owner_team",)
    formfield_overrides = URL_FIELDS
    list_display = [
        "name",
        "slug",
        "kind",
        "parent",
        "owner_team",
        "effective_owner_team",
        "tier_short",
    ]
    list_filter = ["kind", "tier", "effective_owner_team", "owner_team"]
    search_fields = ["name", "slug", "description", "paths__pattern"]
    list_select_related = ["parent", "owner_team", "effective_owner_team"]
    autocomplete_fields = ["parent", "owner_team"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["effective_owner_team"]
    inlines = [ComponentPathInline, OwnershipPeriodInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "description", "tier"]}),
        ("Ownership", {"fields": ["parent", "owner_team", "effective_owner_team"]}),
        ("Links", {"fields": ["repository_url", "runbook_url", "dashboard_url"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset, True if search_term else may_have_duplicates

    def save_model(self, request, obj, form, change):
        # The form has validated the fields (cycles included); the service records the
        # ownership history and recomputes inherited owners.
        data = {name: form.cleaned_data[name] for name in services.COMPONENT_FIELDS}
        if change:
            changed = set(form.changed_data) & set(services.COMPONENT_FIELDS)
            services.component_update(
                component=obj,
                by=request.user,
                note="changed in admin",
                **{name: data[name] for name in changed},
            )
        else:
            created = services.component_create(by=request.user, note="created in admin", **data)
            obj.pk = created.pk
            obj.refresh_from_db()

    @admin.display(description="tier", ordering="tier")
    def tier_short(self, obj):
        return f"Tier {obj.tier}"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.catalog_touch()  # the path globs inline may have changed


@admin.register(OwnershipPeriod)
class OwnershipPeriodAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    """Read-only view of the ownership history across the catalog, in each team's time."""

    team_paths = ("team", "component__effective_owner_team")

    list_display = ["component", "team", "inherited", "valid_from", "valid_to", "changed_by"]
    list_filter = [local_day_filter("valid_from", "from (team's day)"), "team", "inherited"]
    search_fields = ["component__name", "component__slug", "team__name"]
    list_select_related = ["component", "team", "changed_by"]
    zone_paths = ("team__timezone",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RotaUserAdmin(RotaAdminOnly, UserAdmin):
    """Users, edited by those allowed to; managers may only pick people (see admin_people)."""

    inlines = [*UserAdmin.inlines, TeamMembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # Rota admins manage people, but only a superuser makes a superuser or hands out raw
        # permissions: otherwise a rota admin could raise themselves above the role.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def _picking_for(self, request) -> set[int] | None:
        """Return the teams a manager picks people for, or None if Django's rules apply."""
        if is_rota_admin(request.user) and super().has_view_permission(request):
            return None
        if not hasattr(request, "_rota_managed_teams"):
            request._rota_managed_teams = managed_team_ids(request.user)
        team_ids = request._rota_managed_teams
        return team_ids if may_pick_people(request, self.admin_site, team_ids) else None

    def has_view_permission(self, request, obj=None):
        if super().has_view_permission(request, obj):
            return True
        return self._picking_for(request) is not None

    def get_search_results(self, request, queryset, search_term):
        team_ids = self._picking_for(request)
        if team_ids is not None:
            queryset = pickable_people(queryset, request, team_ids)
        return super().get_search_results(request, queryset, search_term)
