"""Act on leave at once, changing as little of the rota as possible.

The rules (also in the README, "Leave"), for each coming shift whose holder is away for part
or all of it:

* **Part of a turn away** (say one Wednesday of a weekly turn): the holder keeps the turn and
  the days away get a cover (an override tied to the leave) by the next participant in
  rotation order after the holder who is neither away nor on duty anywhere then.
* **The whole turn away** (every local day of it but the handoff day it ends on; the shift
  has not started and is not kept): the turn is swapped
  with the nearest later turn of the same rotation whose holder is free during this one, while
  the person away is free during that one; a swap that would give anyone three turns in a row
  is passed over. Both shifts become edited (regeneration keeps them); the turn order is
  unchanged. Without such a partner the days away get a cover as above.
* **Kept shifts** (edited by hand or on offer) are never moved: their days away get a cover.
* Nothing else changes: no other shift is re-dealt, so nobody else hears of it. The audit rows
  (action ``leave``) and covers say why: "<name> is on leave".
* Removing or changing leave removes the covers made for it (and re-applies changed leave);
  swaps made for it stay, as hand edits do.

If nobody is free to cover, the clash stays and shows as a leave conflict (API field
``leave_conflict``, My rota page, the managers' rota check).

**Who entered it** bounds what changes: leave a team's manager enters for someone else
changes only the rotations of the teams that manager manages. Shifts on other teams'
rotations are not covered or swapped; their clashes stay flagged as leave conflicts for those
teams to settle (README, "Roles"). Leave the person enters themself, a rota admin's entry,
and the rota's own work (calendar refreshes) settle every rotation.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.permissions import is_rota_admin
from core.timeutil import ONE_DAY, UTC, date_span, start_of_day, window_text, zone
from ownership.models import Membership, Team

from ..dealing import Key, subtract, turn_core
from ..models import Override, Shift, ShiftChange, SwapRequest, Unavailability
from .shifts import override_create, override_delete, shift_reassign

DUTY_ROLES = (Membership.Role.ENGINEER, Membership.Role.LEAD)
SWAP_LOOKAHEAD = 26  # later turns searched for a swap partner
NO_RUN_OF = 3  # a swap never gives anyone this many turns in a row


@dataclass
class LeaveResult:
    """What acting on one entry of leave did."""

    covers: list[Override] = field(default_factory=list)
    swaps: list[tuple[Shift, Shift]] = field(default_factory=list)
    unresolved: list[Shift] = field(default_factory=list)


def _holder_name(obj) -> str:
    if obj.team_id is not None:
        return obj.team.name
    if obj.user_id is not None:
        return obj.user.get_full_name() or obj.user.get_username()
    return "nobody"


def _window(start, end, rotation) -> str:
    tz = zone(rotation.timezone)
    return f"{window_text(start, end, tz)} {start.astimezone(tz):%Z}"


def leave_result_lines(result: LeaveResult) -> tuple[list[str], list[str]]:
    """Return (done, uncovered): one sentence per cover and swap made, one per clash left.

    Times are each rotation's wall clock with its zone ("Mon 7 Dec 09:00–Wed 9 Dec 09:00 GMT").
    """
    done = [
        f"{_holder_name(cover)} covers {cover.rotation.name} "
        f"{_window(cover.start, cover.end, cover.rotation)}."
        for cover in result.covers
    ]
    for shift, partner in result.swaps:
        done.append(
            f"Swapped turns in {shift.rotation.name}: {_holder_name(shift)} now holds "
            f"{_window(shift.start, shift.end, shift.rotation)}, {_holder_name(partner)} "
            f"{_window(partner.start, partner.end, partner.rotation)}."
        )
    uncovered, seen = [], set()
    for shift in result.unresolved:
        if shift.pk in seen:
            continue
        seen.add(shift.pk)
        uncovered.append(
            f"Nobody is free to cover {_holder_name(shift)} in {shift.rotation.name} "
            f"{_window(shift.start, shift.end, shift.rotation)}; "
            "add an override or reassign the shift."
        )
    return done, uncovered


def _key(team_id, user_id) -> Key | None:
    if team_id is not None:
        return ("team", team_id)
    if user_id is not None:
        return ("user", user_id)
    return None


def _holder_q(entry: Unavailability) -> Q | None:
    """Return the shifts' filter for whoever the entry keeps from duty (None: nobody)."""
    if entry.user_id is not None:
        return Q(user_id=entry.user_id)
    if entry.kind == Unavailability.Kind.LEAVE:
        return Q(team_id=entry.team_id)
    return None  # a team's public holiday weighs on fairness, it takes nobody off duty


def _name(entry: Unavailability) -> str:
    if entry.user_id is not None:
        return entry.user.get_full_name() or entry.user.get_username()
    return entry.team.name


def leave_reason(entry: Unavailability) -> str:
    """Return the reason given on covers and audit rows made for ``entry``."""
    return f"{_name(entry)} is on leave"


@transaction.atomic
def _reach(by, entry: Unavailability) -> set[int] | None:
    """Return the team ids whose rotations ``by`` may change for ``entry`` (None: every one)."""
    if by is None or is_rota_admin(by) or (entry.user_id is not None and entry.user_id == by.pk):
        return None
    from ownership.selectors import managed_team_ids

    return managed_team_ids(by)


def leave_settle(*, unavailability: Unavailability, now=None, by=None) -> LeaveResult:
    """Cover or swap the coming shifts that clash with ``unavailability`` (rules above).

    ``by`` is whoever entered or changed the entry (None: the rota itself); a manager entering
    someone else's leave reaches only their teams' rotations, the other clashes are left in
    ``unresolved`` (see "Who entered it" above). The covers and audit rows are the rota's own
    doing (no author), so everyone affected hears of them, the person away included. Return
    the covers created, the pairs of shifts swapped and the shifts left clashing.
    """
    now = now or timezone.now()
    result = LeaveResult()
    holder = _holder_q(unavailability)
    if holder is None:
        return result
    # Dates are read in each rotation's zone: look a day either side in UTC.
    low = start_of_day(unavailability.start_date - ONE_DAY, UTC)
    high = start_of_day(unavailability.end_date + 2 * ONE_DAY, UTC)
    shifts = (
        Shift.objects.filter(holder, rotation__active=True, start__lt=high, end__gt=max(low, now))
        .select_related("rotation", "user", "team")
        .order_by("start", "pk")
    )
    reach = _reach(by, unavailability)
    for shift in shifts:
        if reach is not None and shift.rotation.team_id not in reach:
            result.unresolved.append(shift)  # another team's rotation: theirs to settle
            continue
        settle_shift(shift=shift, entry=unavailability, now=now, result=result)
    return result


def leave_covers_remove(*, unavailability: Unavailability) -> int:
    """Delete the covers made for ``unavailability``; return how many."""
    covers = list(Override.objects.filter(leave=unavailability))
    for cover in covers:
        override_delete(override=cover)
    return len(covers)


def settle_shift(
    *, shift: Shift, entry: Unavailability, now, result: LeaveResult, swap=True
) -> None:
    """Apply the rules to one shift and one entry of its holder's leave."""
    tz = zone(shift.rotation.timezone)
    away_start, away_end = date_span(entry.start_date, entry.end_date, tz)
    start, end = max(shift.start, away_start, now), min(shift.end, away_end)
    if start >= end:
        return
    reason = leave_reason(entry)
    core_start, core_end = turn_core(shift.start, shift.end, tz)
    whole = away_start <= core_start and away_end >= core_end and shift.start > now
    if swap and whole and not _kept(shift):
        partner = _swap_partner(shift, tz)
        if partner is not None:
            away = (shift.user, shift.team)
            shift_reassign(
                shift=shift,
                user=partner.user,
                team=partner.team,
                action=ShiftChange.Action.LEAVE,
                note=reason,
            )
            shift_reassign(
                shift=partner,
                user=away[0],
                team=away[1],
                action=ShiftChange.Action.LEAVE,
                note=reason,
            )
            result.swaps.append((shift, partner))
            return
    taken = Override.objects.filter(rotation=shift.rotation, start__lt=end, end__gt=start)
    for piece_start, piece_end in subtract(start, end, [(o.start, o.end) for o in taken]):
        cover = _coverer(shift, piece_start, piece_end, tz)
        if cover is None:
            result.unresolved.append(shift)
            continue
        override = override_create(
            rotation=shift.rotation,
            start=piece_start,
            end=piece_end,
            reason=reason,
            **_assignee(cover),
        )
        Override.objects.filter(pk=override.pk).update(leave=entry)
        override.leave = entry
        result.covers.append(override)


def _assignee(key: Key) -> dict:
    kind, pk = key
    if kind == "team":
        return {"team": Team.objects.get(pk=pk)}
    return {"user": get_user_model().objects.get(pk=pk)}


def _kept(shift: Shift) -> bool:
    return (
        shift.edited
        or SwapRequest.objects.filter(shift=shift, status__in=SwapRequest.OPEN_STATUSES).exists()
    )


def _turn_order(shift: Shift) -> list[Key]:
    """Return who could stand in for the shift's holder, from the one after them round."""
    rotation = shift.rotation
    if rotation.follows_team_rotation_id is None:
        keys = [
            _key(team_id, user_id)
            for team_id, user_id in rotation.participants.order_by("position", "id").values_list(
                "team_id", "user_id"
            )
        ]
    else:
        team_id = (
            Shift.objects.filter(
                rotation_id=rotation.follows_team_rotation_id,
                start__lte=shift.start,
                end__gt=shift.start,
                team__isnull=False,
            )
            .values_list("team_id", flat=True)
            .first()
        )
        members = Membership.objects.filter(team_id=team_id, role__in=DUTY_ROLES)
        keys = [
            ("user", pk)
            for pk in members.order_by("user__username").values_list("user_id", flat=True)
        ]
    holder = _key(shift.team_id, shift.user_id)
    if holder in keys:
        at = keys.index(holder)
        keys = keys[at + 1 :] + keys[:at]
    return [key for key in keys if key is not None and key != holder]


def _free(key: Key, start, end, tz, *, besides=()) -> bool:
    """Tell whether ``key`` is neither away nor on duty anywhere in [start, end)."""
    kind, pk = key
    who = Q(**{f"{kind}_id": pk})
    if (
        Shift.objects.filter(who, start__lt=end, end__gt=start)
        .exclude(pk__in=list(besides))
        .exists()
    ):
        return False
    if Override.objects.filter(who, start__lt=end, end__gt=start).exists():
        return False
    away = Unavailability.objects.filter(
        who,
        start_date__lte=(end + ONE_DAY).date(),
        end_date__gte=(start - ONE_DAY).date(),
    )
    if kind == "team":
        away = away.filter(kind=Unavailability.Kind.LEAVE)
    for first, last in away.values_list("start_date", "end_date"):
        away_start, away_end = date_span(first, last, tz)
        if away_start < end and away_end > start:
            return False
    return True


def _coverer(shift: Shift, start, end, tz) -> Key | None:
    for key in _turn_order(shift):
        if _free(key, start, end, tz):
            return key
    return None


def _swap_partner(shift: Shift, tz) -> Shift | None:
    """Return the nearest later shift to swap with (rules above), or None."""
    line = list(
        Shift.objects.filter(
            rotation_id=shift.rotation_id,
            end__gt=shift.start - datetime.timedelta(days=400),
        )
        .select_related("user", "team")
        .order_by("start")
    )
    at = next(i for i, s in enumerate(line) if s.pk == shift.pk)
    line = line[max(at - (NO_RUN_OF - 1), 0) : at + SWAP_LOOKAHEAD + NO_RUN_OF]
    at = next(i for i, s in enumerate(line) if s.pk == shift.pk)
    offered = set(
        SwapRequest.objects.filter(
            shift__in=[s.pk for s in line], status__in=SwapRequest.OPEN_STATUSES
        ).values_list("shift_id", flat=True)
    )
    away = _key(shift.team_id, shift.user_id)
    holders = [_key(s.team_id, s.user_id) for s in line]
    for index in range(at + 1, min(at + 1 + SWAP_LOOKAHEAD, len(line))):
        other = line[index]
        key = holders[index]
        if key is None or key == away or key[0] != away[0]:
            continue
        if other.edited or other.pk in offered:
            continue
        swapped = list(holders)
        swapped[at], swapped[index] = key, away
        if has_run(swapped, (at, index)):
            continue
        if not _free(key, shift.start, shift.end, tz, besides=[other.pk]):
            continue
        if not _free(away, other.start, other.end, tz, besides=[shift.pk]):
            continue
        return other
    return None


def has_run(holders: list, around) -> bool:
    """Tell whether a run of NO_RUN_OF equal holders passes through any index in ``around``."""
    for index in around:
        for first in range(index - NO_RUN_OF + 1, index + 1):
            run = holders[max(first, 0) : first + NO_RUN_OF] if first >= 0 else []
            if len(run) == NO_RUN_OF and len(set(run)) == 1:
                return True
    return False
