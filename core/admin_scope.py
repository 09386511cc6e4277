"""The admin as a manager sees it: their teams' rows only, as in the API.

Rota admins (:func:`core.permissions.is_rota_admin`) see and change every row. Anyone else
who reaches the admin (staff: in practice a team manager) works through one of two mixins,
and every registered admin uses one of them (a test walks ``admin.site`` to keep it so):

* :class:`TeamScopedAdmin` for the models a manager runs. ``team_paths`` name the ORM paths
  from a row to the teams it belongs to (``("rotation__team", ...)``); a row is the manager's
  when any path reaches a team they manage (:func:`core.permissions.managed_team_ids`,
  the rule :func:`core.permissions.can_manage_team` applies in the API). The change list,
  the object pages (403 on another team's row), the actions (403 when one of the rows picked
  is another team's), the choices of the ``owner_fields`` (the foreign keys that give a row
  its team) and the pickers for them are all cut to those rows, and a save that would leave
  the row outside the manager's teams is refused (403) and rolled back.
* :class:`RotaAdminOnly` for organisation-wide models (sprint calendars, support policies,
  routing settings, users, groups, tokens, schedules): closed to everyone but rota admins,
  whatever model permissions they hold.

Pickers (autocomplete) for fields that are not ``owner_fields`` — a participant team, a parent
component, a person — are not cut: names are readable by everyone signed in, as in the API.
"""

from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from .permissions import is_rota_admin, managed_team_ids

_UNSCOPED = "_rota_admin_unscoped"


def manager_scope(request) -> set[int] | None:
    """Return the ids of the teams the caller manages, or None for a rota admin (no limit)."""
    if is_rota_admin(request.user):
        return None
    if not hasattr(request, "_managed_team_ids"):
        request._managed_team_ids = managed_team_ids(request.user)
    return request._managed_team_ids


def owner_pickers(admin_site) -> set[tuple[str, str, str]]:
    """Return (app label, model name, field) of every ``owner_fields`` picker in the admin."""
    found = set()
    for model_admin in admin_site._registry.values():
        for name in getattr(model_admin, "owner_fields", ()):
            opts = model_admin.model._meta
            found.add((opts.app_label, opts.model_name, name))
    return found


def under(prefix: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    """Return ``paths`` reached through the relation ``prefix`` ("shift", ("rotation__team",)
    -> ("shift__rotation__team",))."""
    return tuple(f"{prefix}__{path}" for path in paths)


def _autocomplete(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"


def _open_picker(request, admin_site) -> bool:
    """Tell whether the request is an autocomplete for a picker that is not an owner field."""
    if not _autocomplete(request):
        return False
    asked = (
        request.GET.get("app_label", ""),
        request.GET.get("model_name", ""),
        request.GET.get("field_name", ""),
    )
    return asked not in owner_pickers(admin_site)


class TeamScopedAdmin:
    """Cut a ModelAdmin to the rows of the teams the caller manages (see the module docstring).

    Set ``team_paths`` (ORM paths ending at a Team) and ``owner_fields`` (foreign keys whose
    choices are cut). ``manager_may_add = False`` keeps adding to rota admins (e.g. teams);
    ``check_new_rows = False`` lets a manager add a row of any team (e.g. open an incident).
    Put the mixin first among the bases; overridden hooks must call ``super()``.
    """

    team_paths: tuple[str, ...] = ()
    owner_fields: tuple[str, ...] = ()
    manager_may_add = True
    # False where anyone may create a row for any team, as in the API (an incident).
    check_new_rows = True
    out_of_scope_message = "This belongs to a team you do not manage."

    # --- which rows ------------------------------------------------------------------------

    def team_scope_q(self, team_ids) -> Q:
        """Return a Q over this admin's model matching the rows of the teams ``team_ids``."""
        scope = Q(pk__in=[])
        for path in self.team_paths:
            scope |= Q(**{f"{path}__in": team_ids})
        return scope

    def scope_queryset(self, request, queryset):
        """Cut ``queryset`` to the caller's rows (a subquery, so no row is repeated)."""
        team_ids = manager_scope(request)
        if team_ids is None:
            return queryset
        through = self._scope_through()
        if through is not None:
            # Every path goes through one foreign key (a shift's rotation): pick the few
            # related rows in a subquery and the big table's rows by that key's index, rather
            # than joining every row of the big table to the related ones' team paths.
            key, related, paths = through
            scope = Q(pk__in=[])
            for path in paths:
                scope |= Q(**{f"{path}__in": team_ids})
            mine = related._default_manager.filter(scope).values("pk")
            return queryset.filter(**{f"{key}__in": mine})
        mine = self.model._default_manager.filter(self.team_scope_q(team_ids)).values("pk")
        return queryset.filter(pk__in=mine)

    def _scope_through(self):
        """Return (foreign key, its model, the paths from there) when every path of
        ``team_paths`` starts with the same forward foreign key; else None."""
        heads = {path.split("__", 1)[0] for path in self.team_paths}
        if len(heads) != 1 or any("__" not in path for path in self.team_paths):
            return None
        (key,) = heads
        field = self.model._meta.get_field(key)
        if not (field.many_to_one and field.concrete):
            return None
        paths = tuple(path.split("__", 1)[1] for path in self.team_paths)
        return key, field.related_model, paths

    def in_scope(self, request, obj) -> bool:
        """Tell whether ``obj`` (saved) is one of the caller's rows."""
        team_ids = manager_scope(request)
        if team_ids is None:
            return True
        if obj.pk is None or not team_ids:
            return False
        # A change page asks several times; a save changes the answer (see _check_saved).
        cache = request.__dict__.setdefault("_rota_in_scope", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            rows = self.model._default_manager.filter(pk=obj.pk)
            cache[key] = rows.filter(self.team_scope_q(team_ids)).exists()
        return cache[key]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if getattr(request, _UNSCOPED, False) or _open_picker(request, self.admin_site):
            return queryset
        return self.scope_queryset(request, queryset)

    def get_object(self, request, object_id, from_field=None):
        # Found among all rows, so that another team's row answers 403 (the permission
        # checks below), not Django's "perhaps it was deleted" redirect.
        setattr(request, _UNSCOPED, True)
        try:
            return super().get_object(request, object_id, from_field)
        finally:
            delattr(request, _UNSCOPED)

    # --- what the caller may do ------------------------------------------------------------

    def _allowed(self, request, obj) -> bool:
        return obj is None or self.in_scope(request, obj)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed(request, obj)

    def has_add_permission(self, request, *args):
        if not super().has_add_permission(request, *args):
            return False
        team_ids = manager_scope(request)
        return team_ids is None or (self.manager_may_add and bool(team_ids))

    # --- choices ---------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.owner_fields and manager_scope(request) is not None:
            related_admin = self.admin_site._registry.get(db_field.related_model)
            if isinstance(related_admin, TeamScopedAdmin):
                base = db_field.related_model._default_manager.all()
                kwargs["queryset"] = related_admin.scope_queryset(request, base)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- saves and actions -----------------------------------------------------------------

    def _check_saved(self, request, obj) -> None:
        # Runs inside the admin's transaction, so refusing here undoes the save.
        request.__dict__.get("_rota_in_scope", {}).pop((self.model._meta.label, obj.pk), None)
        if not self.in_scope(request, obj):
            raise PermissionDenied(self.out_of_scope_message)

    def response_add(self, request, obj, post_url_continue=None):
        if self.check_new_rows:
            self._check_saved(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._check_saved(request, obj)
        return super().response_change(request, obj)

    def response_action(self, request, queryset):
        team_ids = manager_scope(request)
        picked = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if team_ids is not None and picked:
            mine = self.scope_queryset(request, self.model._default_manager.all())
            if mine.filter(pk__in=picked).count() != len(set(picked)):
                raise PermissionDenied(self.out_of_scope_message)
        return super().response_action(request, queryset)


class RotaAdminOnly:
    """Close a ModelAdmin to everyone but rota admins, whatever model permissions they hold.

    Only its picker answers others (who hold the view permission), since other admins' forms
    pick these rows (a rotation's sprint calendar) and names are readable by all in the API.
    """

    def has_module_permission(self, request):
        return is_rota_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        # Pickers of other admins (a rotation's sprint calendar) still list the names.
        if obj is None and _autocomplete(request):
            return super().has_view_permission(request, obj)
        return is_rota_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_rota_admin(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_rota_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_rota_admin(request.user) and super().has_delete_permission(request, obj)
