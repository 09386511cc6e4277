"""Swap requests: offer a shift, someone takes it, a manager approves where required.

Taking and deciding are conditional updates (``UPDATE ... WHERE status = 'offered'``): when two
people take the same offer at once, the database lets exactly one update match and the other
caller gets :class:`~rota.exceptions.SwapAlreadyTaken`.

Whether a taken swap waits for a manager follows the rotation's setting when it is *taken*
(switching approval on covers the offers already open). A manager hears of a swap waiting
for approval through the change notices (:mod:`notifications.services.changes`). The taker
may withdraw: before approval the offer is open again; after a hand-over that needed no
approval, until the shift starts, the shift goes back to the offerer (who is told).

A swap hands over only what is still to come, so a shift that has started can be neither
offered, taken nor approved (:class:`~rota.exceptions.ShiftStarted`, 409): moving it would
rewrite who was on duty, and paged, in the hours already past. The rest of a started shift
changes hands with a cover (an override) from the moment it is asked for.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.permissions import is_rota_admin
from core.timeutil import wall_clock

from ..exceptions import ShiftStarted, SwapAlreadyTaken, SwapNotOpen
from ..models import Shift, ShiftChange, SwapRequest
from ..selectors.people import rotation_taker_ids
from .leave import NO_RUN_OF, has_run
from .shifts import shift_reassign

Status = SwapRequest.Status


@transaction.atomic
def swap_offer(*, shift: Shift, by, message: str = "", now=None) -> SwapRequest:
    """Offer one's own upcoming shift to the others in the rotation.

    Raise ValidationError (field ``shift``) for someone else's, a team's or a past shift,
    and ShiftStarted (409) once the shift has started.
    """
    now = now or timezone.now()
    if shift.user_id is None:
        raise ValidationError({"shift": "Only a person's shift can be offered."})
    if shift.user_id != by.pk:
        raise ValidationError({"shift": "You can only offer your own shift."})
    if shift.end <= now:
        raise ValidationError({"shift": "This shift is over."})
    _refuse_started(shift, now)
    if SwapRequest.objects.filter(shift=shift, status__in=SwapRequest.OPEN_STATUSES).exists():
        raise ValidationError({"shift": "This shift is already on offer."})
    swap = SwapRequest(
        shift=shift,
        offered_by=by,
        message=message,
        requires_approval=shift.rotation.swaps_require_approval,
    )
    swap.full_clean()
    swap.save()
    return swap


@transaction.atomic
def swap_take(*, swap: SwapRequest, by, now=None) -> SwapRequest:
    """Take an offered shift; exactly one of several concurrent takers wins.

    Without required approval the shift changes hands at once (status ``approved``);
    otherwise the request waits as ``taken`` for a manager. Raise ShiftStarted (409) once
    the shift has started.
    """
    now = now or timezone.now()
    shift = swap.shift
    if by.pk == swap.offered_by_id:
        raise ValidationError({"taken_by": "You cannot take your own offer."})
    if by.pk not in rotation_taker_ids(shift.rotation):
        name = by.get_full_name() or by.get_username()
        raise ValidationError(
            {"taken_by": f"{name} is not part of the rotation {shift.rotation.name}."}
        )
    if shift.end <= now:
        raise ValidationError({"shift": "This shift is over."})
    _refuse_started(shift, now)
    # The rotation's setting now, not when the shift was offered.
    requires = shift.rotation.swaps_require_approval
    status = Status.TAKEN if requires else Status.APPROVED
    won = SwapRequest.objects.filter(pk=swap.pk, status=Status.OFFERED).update(
        status=status,
        taken_by=by,
        taken_at=now,
        requires_approval=requires,
        closed_at=None if requires else now,
        updated_at=now,
    )
    if not won:
        _raise_lost(swap)
    swap.refresh_from_db()
    if status == Status.APPROVED:
        _hand_over(swap, by=by)
    return swap


@transaction.atomic
def swap_approve(*, swap: SwapRequest, by, now=None) -> SwapRequest:
    """Approve a taken swap: the shift goes to the taker.

    Raise ShiftStarted (409) once the shift has started (the swap stays ``taken``, to be
    rejected), SwapNotOpen (409) when it is not waiting for approval.
    """
    now = now or timezone.now()
    _refuse_started(Shift.objects.select_related("rotation").get(pk=swap.shift_id), now)
    won = SwapRequest.objects.filter(pk=swap.pk, status=Status.TAKEN).update(
        status=Status.APPROVED, approved_by=by, closed_at=now, updated_at=now
    )
    if not won:
        _raise_not_open(swap, "approved")
    swap.refresh_from_db()
    _hand_over(swap, by=by)
    return swap


@transaction.atomic
def swap_reject(*, swap: SwapRequest, by, now=None) -> SwapRequest:
    """Reject a taken swap: the shift stays with the person who offered it."""
    now = now or timezone.now()
    won = SwapRequest.objects.filter(pk=swap.pk, status=Status.TAKEN).update(
        status=Status.REJECTED, closed_by=by, closed_at=now, updated_at=now
    )
    if not won:
        _raise_not_open(swap, "rejected")
    swap.refresh_from_db()
    return swap


@transaction.atomic
def swap_cancel(*, swap: SwapRequest, by, now=None) -> SwapRequest:
    """Withdraw an offer that has not changed hands yet (only its author or staff)."""
    now = now or timezone.now()
    if by.pk != swap.offered_by_id and not is_rota_admin(by):
        raise ValidationError({"offered_by": "Only the person who offered it can cancel it."})
    won = SwapRequest.objects.filter(pk=swap.pk, status__in=SwapRequest.OPEN_STATUSES).update(
        status=Status.CANCELLED, closed_by=by, closed_at=now, updated_at=now
    )
    if not won:
        _raise_not_open(swap, "cancelled")
    swap.refresh_from_db()
    return swap


@transaction.atomic
def swap_withdraw(*, swap: SwapRequest, by, now=None) -> SwapRequest:
    """Let the taker give a swap back: an error of theirs, undone while nothing depends on it.

    * taken, waiting for approval: the offer is open again (``offered``, no taker), and
      the offerer and the rotation's managers are told (a change notice);
    * handed over without approval, before the shift starts: the shift goes back to the
      person who offered it (an audit row, so they are told) and the swap is ``withdrawn``.

    Raise PermissionDenied for anyone but the taker, and SwapNotOpen (409) once a manager
    approved it, the shift started, the shift changed hands again, or the swap is closed.
    """
    now = now or timezone.now()
    if by.pk != swap.taken_by_id:
        raise PermissionDenied("Only the person who took this shift can withdraw.")
    shift = Shift.objects.select_for_update().get(pk=swap.shift_id)
    if swap.status == Status.TAKEN:
        if shift.end <= now:
            raise SwapNotOpen("This shift is over; there is nothing to withdraw.", swap=swap)
        won = SwapRequest.objects.filter(pk=swap.pk, status=Status.TAKEN, taken_by=by).update(
            status=Status.OFFERED,
            taken_by=None,
            taken_at=None,
            withdrawn_by=by,
            withdrawn_at=now,
            updated_at=now,
        )
        if not won:
            _raise_not_open(swap, "withdrawn")
        swap.refresh_from_db()
        return swap
    if swap.status != Status.APPROVED:
        _raise_not_open(swap, "withdrawn")
    if swap.approved_by_id is not None:
        raise SwapNotOpen("A manager approved this swap; ask them to change the shift.", swap=swap)
    if shift.start <= now:
        raise SwapNotOpen(
            "The shift has started; a swap can be withdrawn only before it starts.", swap=swap
        )
    if shift.user_id != by.pk:
        raise SwapNotOpen("The shift changed hands again since; it cannot go back.", swap=swap)
    won = SwapRequest.objects.filter(pk=swap.pk, status=Status.APPROVED).update(
        status=Status.WITHDRAWN, closed_by=by, closed_at=now, updated_at=now
    )
    if not won:
        _raise_not_open(swap, "withdrawn")
    shift_reassign(
        shift=shift,
        user=swap.offered_by,
        by=by,
        action=ShiftChange.Action.SWAPPED,
        note=f"swap {swap.pk} withdrawn",
    )
    swap.refresh_from_db()
    return swap


def _refuse_started(shift: Shift, now) -> None:
    """Raise ShiftStarted when ``shift`` has begun by ``now`` (rule in the module docstring)."""
    if shift.start <= now:
        when = wall_clock(shift.start, shift.rotation.timezone, "%a %d %b %H:%M")
        raise ShiftStarted(
            f"The shift started on {when}; ask for a cover (override) for the rest of it."
        )


def swap_run_warning(swap: SwapRequest) -> str:
    """Return a warning when handing ``swap``'s shift to its taker gives them three turns in
    a row ("" when not); see :func:`swap_run_warnings`."""
    return swap_run_warnings([swap])[swap.pk]


def swap_run_warnings(swaps) -> dict[int, str]:
    """Return {swap id: warning} for swaps whose hand-over would give the taker three turns
    in a row of the rotation ("" for the others, and for swaps nobody took yet).

    Turns are the rotation's shifts in start order; the count is the leave rule's
    (``leave.NO_RUN_OF``). Neighbours are looked for within two shift lengths and a week
    either side, in one query for all the swaps.
    """
    swaps = list(swaps)
    warnings = {swap.pk: "" for swap in swaps}
    taken = [swap for swap in swaps if swap.taken_by_id is not None]
    if not taken:
        return warnings
    near = Q()
    for swap in taken:
        shift = swap.shift
        reach = (NO_RUN_OF - 1) * (shift.end - shift.start) + datetime.timedelta(days=7)
        near |= Q(
            rotation_id=shift.rotation_id,
            start__gte=shift.start - reach,
            start__lte=shift.end + reach,
        )
    lines = {}
    for row in (
        Shift.objects.filter(near)
        .order_by("start", "id")
        .values("id", "rotation_id", "start", "team_id", "user_id")
    ):
        lines.setdefault(row["rotation_id"], []).append(row)
    for swap in taken:
        shift = swap.shift
        line = lines.get(shift.rotation_id, [])
        at = next((i for i, row in enumerate(line) if row["id"] == shift.pk), None)
        if at is None:
            continue
        holders = [(row["team_id"], row["user_id"]) for row in line]
        holders[at] = (None, swap.taken_by_id)
        if has_run(holders, [at]):
            name = swap.taken_by.get_full_name() or swap.taken_by.get_username()
            warnings[swap.pk] = (
                f"{name} would hold {NO_RUN_OF} turns in a row of {shift.rotation.name}."
            )
    return warnings


def _hand_over(swap: SwapRequest, *, by) -> None:
    shift = Shift.objects.select_for_update().get(pk=swap.shift_id)
    shift_reassign(
        shift=shift,
        user=swap.taken_by,
        by=by,
        action=ShiftChange.Action.SWAPPED,
        note=f"swap {swap.pk}",
    )


def _raise_lost(swap: SwapRequest):
    current = SwapRequest.objects.filter(pk=swap.pk).values_list("status", flat=True).first()
    if current in (Status.TAKEN, Status.APPROVED):
        raise SwapAlreadyTaken("Someone else took this shift first.", swap=swap)
    raise SwapNotOpen(f"This offer is {current or 'gone'}.", swap=swap)


def _raise_not_open(swap: SwapRequest, verb: str):
    current = SwapRequest.objects.filter(pk=swap.pk).values_list("status", flat=True).first()
    raise SwapNotOpen(f"This request is {current or 'gone'} and cannot be {verb}.", swap=swap)
