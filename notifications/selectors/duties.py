"""Duty as the notifications see it: who takes over what, and when."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ownership.models import Membership
from rota.models import Override, Shift

from ..recipients import chunked

HANDOFF_ROLES = (Membership.Role.LEAD, Membership.Role.MANAGER)


@dataclass(frozen=True)
class Duty:
    """A shift or an override: someone (a person or a team) on duty from ``start``."""

    source: str  # "shift-12" or "override-3"
    rotation_id: int
    start: datetime.datetime
    user_id: int | None
    team_id: int | None
    shift_id: int | None = None
    override_id: int | None = None

    def people(self, members: dict[int, list[int]]) -> list[int]:
        """Return the people on duty: the person, or every member of the team."""
        if self.user_id is not None:
            return [self.user_id]
        return list(members.get(self.team_id, ()))


def duties_starting(after: datetime.datetime, until: datetime.datetime) -> list[Duty]:
    """Return the assigned shifts and overrides that start within (after, until]."""
    duties = [
        Duty(f"shift-{pk}", rotation_id, start, user_id, team_id, shift_id=pk)
        for pk, rotation_id, start, user_id, team_id in Shift.objects.filter(
            start__gt=after, start__lte=until
        )
        .exclude(user__isnull=True, team__isnull=True)
        .values_list("pk", "rotation_id", "start", "user_id", "team_id")
    ]
    duties += [
        Duty(f"override-{pk}", rotation_id, start, user_id, team_id, override_id=pk)
        for pk, rotation_id, start, user_id, team_id in Override.objects.filter(
            start__gt=after, start__lte=until
        ).values_list("pk", "rotation_id", "start", "user_id", "team_id")
    ]
    return duties


def members_by_team(team_ids: Iterable[int], roles=None) -> dict[int, list[int]]:
    """Return the user ids of each team's members (optionally only some roles)."""
    found: dict[int, list[int]] = defaultdict(list)
    for ids in chunked(sorted(set(team_ids))):
        rows = Membership.objects.filter(team_id__in=ids)
        if roles is not None:
            rows = rows.filter(role__in=roles)
        for team_id, user_id in rows.order_by("team_id", "user_id").values_list(
            "team_id", "user_id"
        ):
            found[team_id].append(user_id)
    return found
