"""Generate a rotation's shifts for a horizon ahead, and keep them right as things change.

``rotation_regenerate`` plans every slot from the one in progress now up to ``until`` (or up to
the last existing future shift, whichever is later) and brings the stored shifts in line:

* shifts that already started, hand-edited shifts and shifts with an open swap offer are kept
  as they are; a slot they cover is not generated, a slot they partly cover is generated for
  the rest of it, and a kept shift that starts a slot counts as that slot's turn;
* future shifts that were not edited are re-dealt: a row whose start matches a planned slot is
  updated in place (same id, ``sequence`` + 1, an audit row), others are deleted, missing ones
  created. So adding or removing a participant changes only future unedited shifts, and
  running it twice changes nothing;
* leave moves as little as possible (see :mod:`rota.dealing`): a turn wholly away is swapped
  with the next available participant's turn, a turn partly away is kept and the days away
  of a new or re-dealt shift get a cover (:func:`rota.services.leave.settle_shift`); nobody
  is dealt a third turn in a row next to kept shifts while someone else is available.

Turn order continues from the latest earlier shift whose generated participant is still in the
rotation (see :mod:`rota.dealing`).
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.timeutil import ONE_DAY, date_span, ensure_aware, start_of_day, zone

from ..models import Override, Rotation, Shift, ShiftChange, SwapRequest, Unavailability
from ..slots import SlotClock
from ._common import change_row, rota_touch, shift_snapshot
from .generation_plan import (
    Absences,
    Planned,
    absences_for,
    assignment,
    dealer_for,
    key_of,
    plan_slots,
    pools_for,
)
from .leave import LeaveResult, settle_shift
from .shifts import override_delete

PRIOR_SHIFTS = 200  # enough history to find where every turn order stands


@dataclass
class GenerationResult:
    rotation_id: int
    created: int = 0
    updated: int = 0
    deleted: int = 0
    conflicts: list[Planned] = field(default_factory=list)


def until_instant(rotation: Rotation, until, now: datetime.datetime) -> datetime.datetime:
    """Return the instant before which slots start: a date means "through the end of that day"."""
    if until is None:
        return now + datetime.timedelta(weeks=rotation.horizon_weeks)
    if isinstance(until, datetime.datetime):
        return ensure_aware(until, "until")
    return start_of_day(until + ONE_DAY, zone(rotation.timezone))


def rotation_generate(*, rotation: Rotation, until=None, now=None) -> int:
    """Create the missing shifts up to ``until`` (default: the horizon); return how many."""
    return rotation_regenerate(rotation=rotation, until=until, now=now).created


@transaction.atomic
def rotation_regenerate(*, rotation: Rotation, until=None, now=None) -> GenerationResult:
    """Bring the rotation's future shifts in line with its settings; report what changed.

    A rotation that follows a team rotation first extends that team rotation to the same
    instant; a team rotation afterwards re-deals the person rotations that follow it.
    """
    now = now or timezone.now()
    rotation = locked(rotation)
    return regenerate_linked(rotation, until_instant(rotation, until, now), now)[0]


def regenerate_linked(rotation: Rotation, end, now) -> list[GenerationResult]:
    """Regenerate a locked ``rotation`` to ``end`` with the rotations linked to it: the team
    rotation it follows first, the rotations that follow it after; return the results,
    ``rotation``'s first."""
    before = []
    if rotation.follows_team_rotation_id is not None:
        before.append(regenerate_one(locked(rotation.follows_team_rotation), end, now))
    results = [regenerate_one(rotation, end, now), *before]
    if rotation.kind == Rotation.Kind.TEAM:
        # Primaries first: a following secondary is dealt around the primary's people.
        followers = Rotation.objects.filter(follows_team_rotation=rotation, active=True)
        for follower in followers.order_by("role", "id"):
            results.append(regenerate_one(locked(follower), end, now))
    elif rotation.follows_team_rotation_id is not None and rotation.role == Rotation.Role.PRIMARY:
        for sibling in Rotation.objects.filter(
            follows_team_rotation_id=rotation.follows_team_rotation_id,
            role=Rotation.Role.SECONDARY,
            active=True,
        ).order_by("id"):
            results.append(regenerate_one(locked(sibling), end, now))
    return results


def locked(rotation: Rotation) -> Rotation:
    """Return the rotation read again under a row lock, its sprint calendar selected."""
    return (
        Rotation.objects.select_for_update(of=("self",))
        .select_related("sprint_calendar")
        .get(pk=rotation.pk)
    )


def regenerate_one(rotation: Rotation, until: datetime.datetime, now) -> GenerationResult:
    """Bring one locked rotation's shifts up to ``until`` in line; linked rotations untouched."""
    result = GenerationResult(rotation_id=rotation.pk)
    clock = SlotClock(rotation)
    first = max(clock.index_at(now), 0)
    window_start = clock.boundary(first)
    existing, prior = _shifts_around(rotation, window_start)
    kept, redeal, plan_end = split_existing(existing, until, now)
    if plan_end <= window_start:
        return result
    pools, windows = pools_for(rotation, window_start, plan_end)
    absences = absences_for(rotation, pools, window_start, plan_end)
    planned = plan_rotation(rotation, clock, first, plan_end, pools, windows, kept, prior, absences)
    result.conflicts = [p for p in planned if p.conflict]
    changes = changes_of(rotation, planned, redeal)
    changes_write([changes])
    result.created, result.updated, result.deleted = changes.counts()
    cover_leave(rotation, changes.changed, now, absences)
    return result


def split_existing(existing, until, now) -> tuple[list, list, datetime.datetime]:
    """Split a rotation's shifts ending after the window start into (kept, re-dealt, the end
    of the plan): started, edited and offered shifts are kept; the plan reaches ``until`` or
    the end of the last re-dealt shift."""
    kept, redeal = [], []
    for shift in existing:
        if shift.edited or shift.start < now or shift.offered:
            kept.append(shift)
        else:
            redeal.append(shift)
    return kept, redeal, max([until, *(s.end for s in redeal)])


def plan_rotation(rotation, clock, first, plan_end, pools, windows, kept, prior, absences):
    """Plan the turns of slots ``first``.. up to ``plan_end`` (no writes); return Planned's.

    ``prior`` are the newest earlier shifts, newest first: they set where each turn order
    stands, the weekend balance and the last two turns.
    """
    window_start = clock.boundary(first)
    for pool in pools.values():
        for shift in prior:  # newest first
            key = key_of(shift.generated_team_id, shift.generated_user_id)
            if key in pool:
                pool.move_past(key)
                break
    dealer = dealer_for(rotation, pools, window_start, plan_end, absences)
    if dealer.weigher is not None:
        horizon_back = window_start - datetime.timedelta(weeks=rotation.horizon_weeks)
        for shift in [*prior, *kept]:
            if shift.end > horizon_back:
                dealer.record(key_of(shift.team_id, shift.user_id), shift.start, shift.end)
    finished = [s for s in prior if s.end <= window_start][:2]  # the rest are kept
    recent = [key_of(s.team_id, s.user_id) for s in reversed(finished)]
    return plan_slots(clock, first, plan_end, pools, windows, kept, dealer, recent)


def _shifts_around(rotation: Rotation, window_start) -> tuple[list[Shift], list[Shift]]:
    """Return (the shifts ending after ``window_start``, by start; the ``PRIOR_SHIFTS`` newest
    starting before it, newest first), read in one query.

    Each shift carries ``offered``: whether it has an open swap offer.
    """
    newest_before = (
        Shift.objects.filter(rotation=rotation, start__lt=window_start)
        .order_by("-start")
        .values("pk")[:PRIOR_SHIFTS]
    )
    rows = list(
        Shift.objects.filter(Q(end__gt=window_start) | Q(pk__in=newest_before), rotation=rotation)
        .annotate(
            offered=Exists(
                SwapRequest.objects.filter(
                    shift=OuterRef("pk"), status__in=SwapRequest.OPEN_STATUSES
                )
            )
        )
        .order_by("start")
    )
    # Shifts of one rotation do not overlap, so their starts are distinct and the orders exact.
    existing = [shift for shift in rows if shift.end > window_start]
    prior = [shift for shift in reversed(rows) if shift.start < window_start][:PRIOR_SHIFTS]
    return existing, prior


def leave_covers(rotation_ids, low, high) -> list[Override]:
    """Return the leave covers of ``rotation_ids`` meeting [low, high), leave selected."""
    return list(
        Override.objects.filter(
            rotation_id__in=rotation_ids, leave__isnull=False, start__lt=high, end__gt=low
        ).select_related("leave")
    )


def cover_leave(rotation: Rotation, shifts, now, absences: Absences, covers=None) -> None:
    """Cover the days away of new or re-dealt shifts whose holder is away for part of them.

    Covers made for the leave of someone who no longer holds a re-dealt shift go first. The
    holders' leave comes from ``absences`` (loaded for the dealer) when it holds those dates.
    ``covers``: the rotation's leave covers over these shifts when already read (by
    :func:`leave_covers`, possibly for more rotations and a wider span); None reads them.
    """
    if not shifts:
        return
    low, high = min(s.start for s in shifts), max(s.end for s in shifts)
    if covers is None:
        covers = leave_covers([rotation.pk], low, high)
    covers = [c for c in covers if c.rotation_id == rotation.pk and c.start < high and c.end > low]
    for cover in covers:
        under = [s for s in shifts if s.start < cover.end and s.end > cover.start]
        owner = (cover.leave.user_id, cover.leave.team_id)
        if under and all((s.user_id, s.team_id) != owner for s in under):
            override_delete(override=cover)
    users = {s.user_id for s in shifts if s.user_id is not None}
    teams = {s.team_id for s in shifts if s.team_id is not None}
    if not (users or teams):
        return
    first_day, last_day = low.date() - ONE_DAY, high.date() + ONE_DAY
    entries = absences.leave_of(users=users, teams=teams, first_day=first_day, last_day=last_day)
    if entries is None:
        entries = list(
            Unavailability.objects.filter(
                Q(user_id__in=users) | Q(team_id__in=teams, kind=Unavailability.Kind.LEAVE),
                start_date__lte=last_day,
                end_date__gte=first_day,
            ).select_related("user", "team")
        )
    if not entries:
        return
    tz = zone(rotation.timezone)
    result = LeaveResult()
    for shift in sorted(shifts, key=lambda s: s.start):
        shift.rotation = rotation
        for entry in entries:
            mine = (
                entry.user_id == shift.user_id
                if entry.user_id is not None
                else shift.team_id is not None and entry.team_id == shift.team_id
            )
            if not mine:
                continue
            away_start, away_end = date_span(entry.start_date, entry.end_date, tz)
            if away_start < shift.end and away_end > shift.start:
                settle_shift(shift=shift, entry=entry, now=now, result=result, swap=False)


@dataclass
class Changes:
    """What one rotation's plan changes: shifts to create, to update (``changed``: those
    created or given to someone else), to delete, and their audit rows."""

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    audit: list = field(default_factory=list)
    reassigned: list = field(default_factory=list)

    @property
    def changed(self) -> list:
        return [*self.create, *self.reassigned]

    def counts(self) -> tuple[int, int, int]:
        """Return (created, updated, deleted)."""
        return len(self.create), len(self.update), len(self.stale)


def changes_of(rotation: Rotation, planned, redeal) -> Changes:
    """Compare the plan with the re-dealt shifts (no writes): a planned slot whose start
    matches a shift updates it in place, other shifts go, missing slots are created."""
    by_start = {shift.start: shift for shift in redeal}
    stamp = timezone.now()
    changes = Changes()
    for item in planned:
        values = {"end": item.end, **assignment(item.key)}
        shift = by_start.pop(item.start, None)
        if shift is None:
            changes.create.append(Shift(rotation=rotation, start=item.start, **values))
            continue
        if all(getattr(shift, name) == value for name, value in values.items()):
            continue
        old = shift_snapshot(shift)
        visible = (shift.end, shift.team_id, shift.user_id) != (
            item.end,
            values["team_id"],
            values["user_id"],
        )
        for name, value in values.items():
            setattr(shift, name, value)
        shift.updated_at = stamp
        if visible:
            changes.reassigned.append(shift)
            shift.sequence += 1
            changes.audit.append(
                change_row(
                    shift=shift,
                    action=ShiftChange.Action.REGENERATED,
                    old=old,
                    new=shift_snapshot(shift),
                )
            )
        changes.update.append(shift)
    changes.stale = list(by_start.values())
    changes.audit += [
        change_row(shift=s, action=ShiftChange.Action.DELETED, old=shift_snapshot(s))
        for s in changes.stale
    ]
    return changes


def changes_write(all_changes) -> None:
    """Write the changes of one or many rotations together: one DELETE, UPDATEs and INSERTs
    in batches, the audit rows, and one rota version bump if anything changed."""
    stale = [s for c in all_changes for s in c.stale]
    update = [s for c in all_changes for s in c.update]
    create = [s for c in all_changes for s in c.create]
    audit = [row for c in all_changes for row in c.audit]
    if stale:
        Shift.objects.filter(pk__in=[s.pk for s in stale]).delete()
    if update:
        Shift.objects.bulk_update(
            update,
            ["end", "team", "user", "generated_team", "generated_user", "sequence", "updated_at"],
            batch_size=500,
        )
    Shift.objects.bulk_create(create, batch_size=1000)
    ShiftChange.objects.bulk_create(audit, batch_size=1000)
    if create or update or stale:
        rota_touch()
