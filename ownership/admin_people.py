"""Person pickers for team managers, who may pick people without the right to see users.

Managers are staff without ``auth.view_user``, so Django's autocomplete for users would answer
403 and every person picker in the admin (shift, override, participant, leave, membership)
would stay empty. The user admin therefore lets a manager through for one view
only, the admin's autocomplete, and only when the picker asked for is a person field that some
admin form offers (``autocomplete_fields`` of a registered admin or of one of its inlines) on a
model the manager may add or change. The user list and change pages stay closed.

What a manager may pick is narrower than the organisation: the people in the teams they
manage, plus whatever the apps add through :func:`add_people_source` (the rota adds the people
of those teams' rotations). Adding a member to a team is the exception: the newcomer is by
definition not yet among the manager's people, so that picker offers every active user.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import Membership

# A source takes the ids of the teams someone manages and returns a Q over users.
PeopleSource = Callable[[set[int]], Q]

_sources: list[PeopleSource] = []
# Pickers that offer every active user rather than the manager's people.
OPEN_PICKERS = {("ownership", "membership", "user")}


def add_people_source(source: PeopleSource) -> None:
    """Widen the people a manager may pick by ``source`` (called once per app at start-up)."""
    if source not in _sources:
        _sources.append(source)


def team_people(team_ids: set[int]) -> Q:
    """Return a Q matching the members (any role) of the teams ``team_ids``."""
    members = Membership.objects.filter(team_id__in=team_ids).values("user_id")
    return Q(pk__in=members)


add_people_source(team_people)


def person_picker_fields(admin_site) -> set[tuple[str, str, str]]:
    """Return (app label, model name, field name) of every person autocomplete in the admin.

    Read from the registered admins and their inlines, so a picker added later is covered.
    """
    user_model = get_user_model()
    found = set()
    for model_admin in admin_site._registry.values():
        for owner in (model_admin, *model_admin.inlines):
            for name in owner.autocomplete_fields:
                field = owner.model._meta.get_field(name)
                if field.remote_field is not None and field.remote_field.model is user_model:
                    opts = owner.model._meta
                    found.add((opts.app_label, opts.model_name, name))
    return found


def picker_asked(request) -> tuple[str, str, str] | None:
    """Return the person picker an autocomplete request asks for, or None for any other view."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    return (
        request.GET.get("app_label", ""),
        request.GET.get("model_name", ""),
        request.GET.get("field_name", ""),
    )


def may_pick_people(request, admin_site, team_ids: set[int]) -> bool:
    """Tell whether a manager of ``team_ids`` may use the person picker the request asks for."""
    key = picker_asked(request)
    if key is None or not team_ids or key not in person_picker_fields(admin_site):
        return False
    app_label, model_name, _ = key
    for model, model_admin in admin_site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name):
            # The admin's own answer, so an admin closed to managers (notification
            # preferences) closes its picker too, whatever model permissions they hold.
            return model_admin.has_add_permission(request) or model_admin.has_change_permission(
                request
            )
    user = request.user  # an inline's model (a membership): its model permissions
    return user.has_perm(f"{app_label}.add_{model_name}") or user.has_perm(
        f"{app_label}.change_{model_name}"
    )


def pickable_people(queryset, request, team_ids: set[int]):
    """Narrow a user queryset to the active people a manager of ``team_ids`` may pick."""
    queryset = queryset.filter(is_active=True)
    if picker_asked(request) in OPEN_PICKERS:
        return queryset
    scope = Q(pk__in=[])
    for source in _sources:
        scope |= source(team_ids)
    return queryset.filter(scope)
