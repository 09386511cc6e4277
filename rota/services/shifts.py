"""Hand edits of shifts, and overrides (someone covering a window of a rotation).

Overrides of a rotation lie apart or nest (one entirely inside another); see
:func:`_check_override_nesting`.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.services import apply_fields
from core.timeutil import ensure_aware, zone

from ..exceptions import OverrideOverlap
from ..models import Override, Rotation, Shift, ShiftChange
from ._common import (
    change_row,
    check_no_overlap,
    rota_touch,
    save_shift,
    shift_snapshot,
)

SHIFT_FIELDS = ("start", "end", "team", "user", "note")
OVERRIDE_FIELDS = ("start", "end", "user", "team", "reason")


def _aware(data):
    for name in ("start", "end"):
        if data.get(name) is not None:
            try:
                ensure_aware(data[name], name)
            except ValueError:
                raise ValidationError({name: "Give a time with a UTC offset."}) from None


@transaction.atomic
def shift_create(
    *, rotation: Rotation, by=None, source: str = "", source_id: str = "", **data
) -> Shift:
    """Add a shift by hand; it counts as edited, so regeneration keeps it.

    An importer passes ``source`` and ``source_id`` (the source's key for the shift) so that
    a second import finds the row. Raise ValidationError for bad fields, ShiftOverlap when
    the shift overlaps another of its rotation.
    """
    _aware(data)
    shift = Shift(rotation=rotation, edited=True, source=source, source_id=source_id)
    apply_fields(shift, SHIFT_FIELDS, data)
    shift.full_clean()
    check_no_overlap(shift)
    save_shift(shift)
    change_row(
        shift=shift, action=ShiftChange.Action.CREATED, new=shift_snapshot(shift), by=by
    ).save()
    return shift


@transaction.atomic
def shift_update(*, shift: Shift, by=None, **data) -> Shift:
    """Change a shift by hand: mark it edited, bump its sequence and record the change."""
    _aware(data)
    old = shift_snapshot(shift)
    apply_fields(shift, SHIFT_FIELDS, data)
    shift.edited = True
    shift.full_clean()
    check_no_overlap(shift)
    shift.sequence += 1
    save_shift(shift)
    change_row(
        shift=shift,
        action=ShiftChange.Action.UPDATED,
        old=old,
        new=shift_snapshot(shift),
        by=by,
    ).save()
    return shift


@transaction.atomic
def shift_reassign(*, shift: Shift, user=None, team=None, by=None, action=None, note="") -> Shift:
    """Give a shift to another assignee (a swap or a manager's decision); it becomes edited."""
    old = shift_snapshot(shift)
    shift.user, shift.team = user, team
    shift.edited = True
    shift.full_clean()
    shift.sequence += 1
    save_shift(shift)
    change_row(
        shift=shift,
        action=action or ShiftChange.Action.UPDATED,
        old=old,
        new=shift_snapshot(shift),
        by=by,
        note=note,
    ).save()
    return shift


@transaction.atomic
def shift_delete(*, shift: Shift, by=None) -> None:
    """Delete a shift, keeping an audit row of what it was."""
    audit = change_row(
        shift=shift, action=ShiftChange.Action.DELETED, old=shift_snapshot(shift), by=by
    )
    shift.delete()
    audit.save()
    rota_touch()


def _who(override: Override) -> str:
    return override.user.username if override.user_id else override.team.name


def _check_override_nesting(override: Override) -> None:
    """Refuse an override that overlaps another of its rotation without nesting, or repeats one.

    An override may lie apart from every other one or entirely inside (or around) another:
    the innermost holds its window (see rota.selectors.schedule). Raise OverrideOverlap naming
    the other override's cover and window, in the rotation's time zone, on the field (start or
    end) that falls inside it.
    """
    start, end = override.start, override.end
    # Lock the rotation so that two covers written at once cannot slip past each other.
    list(Rotation.objects.select_for_update().filter(pk=override.rotation_id).values("pk"))
    partial = ~Q(start__gte=start, end__lte=end) & ~Q(start__lte=start, end__gte=end)
    clash = (
        Override.objects.filter(rotation_id=override.rotation_id, start__lt=end, end__gt=start)
        .filter(partial | Q(start=start, end=end))
        .exclude(pk=override.pk)
        .select_related("user", "team")
        .order_by("start", "id")
        .first()
    )
    if clash is None:
        return
    tz_name = override.rotation.timezone
    tz = zone(tz_name)
    window = (
        f"{clash.start.astimezone(tz):%Y-%m-%d %H:%M} – "
        f"{clash.end.astimezone(tz):%Y-%m-%d %H:%M} {tz_name}"
    )
    if (clash.start, clash.end) == (start, end):
        raise OverrideOverlap(
            {
                "start": f"Duplicates the override of {_who(clash)} ({window}): the same "
                "window twice; change that override instead."
            }
        )
    field = "start" if clash.start < start < clash.end else "end"
    raise OverrideOverlap(
        {
            field: f"Overlaps the override of {_who(clash)} ({window}); an override must lie "
            "inside another one or apart from it."
        }
    )


def _touch_covered(rotation_id: int, *windows: tuple) -> int:
    """Bump the sequence of the rotation's shifts overlapping any (start, end) window.

    A cover changes how the shifts under it are published (calendar events split, shortened
    or cancelled), so their iCalendar SEQUENCE must rise even though the rows did not change;
    a deleted cover leaves no row behind, so the shifts carry the count. Return how many.
    """
    overlaps = Q()
    for start, end in windows:
        overlaps |= Q(start__lt=end, end__gt=start)
    return Shift.objects.filter(overlaps, rotation_id=rotation_id).update(
        sequence=F("sequence") + 1, updated_at=timezone.now()
    )


@transaction.atomic
def override_create(*, rotation: Rotation, by=None, **data) -> Override:
    """Let someone cover a window of the rotation instead of whoever holds the shift.

    Raise ValidationError for bad fields, and OverrideOverlap when the window overlaps another
    override of the rotation only partly or repeats one (see _check_override_nesting).
    """
    _aware(data)
    override = Override(rotation=rotation, created_by=by)
    apply_fields(override, OVERRIDE_FIELDS, data)
    override.full_clean()
    _check_override_nesting(override)
    override.save()
    _touch_covered(override.rotation_id, (override.start, override.end))
    rota_touch()
    return override


@transaction.atomic
def override_update(*, override: Override, **data) -> Override:
    """Change an override's window or cover; raise as override_create does.

    The shifts under the old and the new window are republished (their SEQUENCE rises).
    """
    _aware(data)
    before = (override.start, override.end)
    apply_fields(override, OVERRIDE_FIELDS, data)
    override.full_clean()
    _check_override_nesting(override)
    override.sequence += 1
    override.save()
    _touch_covered(override.rotation_id, before, (override.start, override.end))
    rota_touch()
    return override


@transaction.atomic
def override_delete(*, override: Override) -> None:
    """Remove an override; the shift underneath applies again."""
    _touch_covered(override.rotation_id, (override.start, override.end))
    override.delete()
    rota_touch()
