"""Per-role API permissions (DESIGN §4): everyone signed in reads; staff and managers write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ownership.selectors import managed_team_ids


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
    return user.is_staff or (team_id is not None and team_id in user_managed_team_ids(request))


class ReadOrManage(BasePermission):
    """Reads for every authenticated user; writes checked by the view's ``can_write`` hooks.

    A view implements ``can_create(request)`` and ``can_change(request, obj)``; checks that
    need the validated body (e.g. the team a new component is given to) happen in the view.
    """

    message = "Only staff and managers of the team concerned may change this."

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
