"""The "by rotation", "by team" and "by person" filters of the shift and override lists.

Django's related-only filters list what appears in the rows: a ``SELECT DISTINCT`` over the
whole table on every page, 0.1 to 0.8 s at 200,000 shifts. These offer instead what the small
tables say: the rotations the caller may see (a manager's: their teams', see
:mod:`core.admin_scope`) and the teams and people in those rotations' turn orders (for a
manager without ``auth.view_user``, only the people they may pick:
:func:`ownership.admin_people.pickable_people`). Each costs one query whatever the number of
rows. Someone holding a shift outside every turn order (a hand edit or a swap to an outsider)
is not offered, but the list still filters by them (``?user__id__exact=<id>``) and finds them
by search.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model

from core.admin_scope import manager_scope
from ownership.admin_people import pickable_people
from ownership.models import Team

from .models import Rotation, RotationParticipant


def rotations_in_view(request, model_admin):
    """Return the rotations the caller sees in the admin (a manager's: their teams')."""
    rotations = Rotation.objects.all()
    rotation_admin = model_admin.admin_site._registry.get(Rotation)
    if rotation_admin is None:
        return rotations
    return rotation_admin.scope_queryset(request, rotations)


class _SmallTableFilter(admin.RelatedFieldListFilter):
    def has_output(self):
        # The admin applies only the filters it shows: one picked from a bookmark (someone
        # outside every turn order) must still filter, even with no choice to offer.
        return super().has_output() or bool(self.used_parameters)


class RotationListFilter(_SmallTableFilter):
    """By rotation: the rotations the caller sees, by name."""

    def field_choices(self, field, request, model_admin):
        rotations = rotations_in_view(request, model_admin).order_by("name", "pk")
        return list(rotations.values_list("pk", "name"))


class TurnTeamListFilter(_SmallTableFilter):
    """By team: the teams taking turns in the rotations the caller sees, by name."""

    def field_choices(self, field, request, model_admin):
        turns = RotationParticipant.objects.filter(
            rotation__in=rotations_in_view(request, model_admin).values("pk")
        ).values("team_id")
        teams = Team.objects.filter(pk__in=turns).order_by("name", "pk")
        return list(teams.values_list("pk", "name"))


class TurnPeopleListFilter(_SmallTableFilter):
    """By person: the people in the turn orders of the rotations the caller sees, by
    username; a manager without ``auth.view_user`` only those they may pick."""

    def field_choices(self, field, request, model_admin):
        rotations = rotations_in_view(request, model_admin).values("pk")
        turns = RotationParticipant.objects.filter(rotation__in=rotations).values("user_id")
        people = get_user_model().objects.filter(pk__in=turns)
        team_ids = manager_scope(request)
        if team_ids is not None and not request.user.has_perm("auth.view_user"):
            mine = pickable_people(get_user_model().objects.all(), request, team_ids)
            people = people.filter(pk__in=mine.values("pk"))
        people = people.order_by("username", "pk")
        return list(people.values_list("pk", "username"))
