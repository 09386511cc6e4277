"""Per-role permissions (DESIGN §4), shared by the API and the admin.

Everyone signed in reads; a team's managers change their teams' things; **rota admins**
change everything. A rota admin is a superuser, or a staff user in the group ``Rota admins``
(:data:`ROTA_ADMINS_GROUP`). Being staff (``is_staff``) only opens the Django admin: a
manager is staff so that they can work there, and the admin scopes them to their teams
exactly as the API does (see :mod:`core.admin_scope`).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.providers import provider

ROTA_ADMINS_GROUP = "Rota admins"
# The apps whose every model permission the "Rota admins" group holds: Rota's own, and the
# users, groups, API tokens and task schedules that README gives rota admins.
ROTA_ADMIN_APPS = (
    "ownership",
    "rota",
    "incidents",
    "notifications",
    "reports",
    "importers",
    "portal",
    "oidc",
    "auth",
    "knox",
    "django_celery_beat",
)


def rota_admins_permissions_sync(app_config=None, using="default", **kwargs) -> None:
    """Give the "Rota admins" group every model permission of ``app_config``'s app.

    A ``post_migrate`` receiver (connected in ``portal.apps``): Django creates an app's
    permissions on the same signal, just before, so a model added later is covered at the
    next ``migrate``. Apps outside :data:`ROTA_ADMIN_APPS` are left alone. The permissions
    are ordinary rows of the group, visible in *Authentication › Groups*.
    """
    if app_config is None or app_config.label not in ROTA_ADMIN_APPS:
        return
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.using(using).get_or_create(name=ROTA_ADMINS_GROUP)
    permissions = Permission.objects.using(using).filter(content_type__app_label=app_config.label)
    group.permissions.add(*permissions)


def is_rota_admin(user) -> bool:
    """Tell whether ``user`` changes every team's things: a superuser, or staff in "Rota admins".

    Inactive and anonymous users never are. The answer is kept on the user object, so a
    request asks the database at most once (and never for someone who is not staff).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.is_staff:
        return False
    cached = getattr(user, "_rota_admin", None)
    if cached is None:
        cached = user.groups.filter(name=ROTA_ADMINS_GROUP).exists()
        user._rota_admin = cached
    return cached


def request_is_rota_admin(request) -> bool:
    """Tell whether the caller of ``request`` is a rota admin (see :func:`is_rota_admin`)."""
    return is_rota_admin(getattr(request, "user", None))


def managed_team_ids(user) -> set[int]:
    """The ids of the teams ``user`` manages (empty for anonymous users).

    Asked of the ownership app through the ``ROTA_MANAGED_TEAM_IDS`` setting
    (see :mod:`core.providers`).
    """
    return provider("ROTA_MANAGED_TEAM_IDS")(user)


def user_managed_team_ids(request) -> set[int]:
    """The ids of the teams the caller manages, computed once per request."""
    cached = getattr(request, "_managed_team_ids", None)
    if cached is None:
        cached = managed_team_ids(request.user)
        request._managed_team_ids = cached
    return cached


def can_manage_team(request, team_id) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    return is_rota_admin(user) or (
        team_id is not None and team_id in user_managed_team_ids(request)
    )


class ReadOrManage(BasePermission):
    """Reads for every authenticated user; writes checked by the view's ``can_write`` hooks.

    A view implements ``can_create(request)`` and ``can_change(request, obj)``; checks that
    need the validated body (e.g. the team a new component is given to) happen in the view.
    """

    message = "Only rota admins and managers of the team concerned may change this."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "create":
            return view.can_create(request)
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return view.can_change(request, obj)
