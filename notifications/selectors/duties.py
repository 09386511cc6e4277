"""Duty as the notifications see it: who takes over what, and when, per the final schedule."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from ownership.models import Membership
from ownership.selectors import LEADER_ROLES
from rota.models import Override, Rotation, Shift
from rota.selectors.duty import LOOKBACK, pieces
from rota.selectors.schedule import segments_for

from ..recipients import chunked

HANDOFF_ROLES = LEADER_ROLES
# segments_for works on [start, end); duty starting exactly at the end of a scan window counts.
_INCLUSIVE = datetime.timedelta(seconds=1)


@dataclass(frozen=True)
class Duty:
    """A piece of a shift or of a cover: someone (a person or a team) on duty from ``start``.

    A shift with a cover in the middle is two pieces for its holder, each with its own start;
    a shift covered in full is no piece at all.
    """

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


def rotations_with_duty(after: datetime.datetime, until: datetime.datetime) -> list[Rotation]:
    """Return the rotations with a shift or a cover overlapping (after, until], in one query."""
    shifts = Shift.objects.filter(start__lte=until, end__gt=after).values("rotation_id")
    overrides = Override.objects.filter(start__lte=until, end__gt=after).values("rotation_id")
    return list(Rotation.objects.filter(Q(pk__in=shifts) | Q(pk__in=overrides)).order_by("pk"))


def duties_starting(after: datetime.datetime, until: datetime.datetime) -> list[Duty]:
    """Return the assigned pieces of duty that start within (after, until], in three queries.

    Pieces come from the final schedule, so time covered by someone else is the coverer's
    duty, not the shift holder's, and a restricted rotation's duty starts when its hours do.
    """
    rotations = rotations_with_duty(after, until)
    schedule = segments_for(rotations, after - LOOKBACK, until + _INCLUSIVE)
    duties = []
    for rotation in rotations:
        for piece in pieces(schedule[rotation.pk]):
            if not after < piece.start <= until:
                continue
            if piece.user_id is None and piece.team_id is None:
                continue  # an unassigned shift: a gap, reported by the rota warnings
            duties.append(
                Duty(
                    piece.source,
                    rotation.pk,
                    piece.start,
                    piece.user_id,
                    piece.team_id,
                    shift_id=piece.shift_id,
                    override_id=piece.override_id,
                )
            )
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
