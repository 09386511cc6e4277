"""Helpers shared by the rota's services."""

import uuid

from django.db import IntegrityError, transaction

from ..exceptions import ShiftOverlap
from ..models import RotaVersion, Shift, ShiftChange
from ..timeutil import window_text, zone


def rota_touch() -> None:
    """Replace the rota version tag so every process's on-call cache notices the change."""
    tag = uuid.uuid4().hex
    if not RotaVersion.objects.filter(pk=1).update(tag=tag):
        RotaVersion.objects.update_or_create(pk=1, defaults={"tag": tag})


def apply_fields(instance, allowed, data):
    """Set ``data`` on ``instance``, refusing names outside ``allowed``."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(instance, name, value)


def shift_snapshot(shift: Shift) -> dict:
    """Return the audit-trail view of a shift."""
    return {
        "id": shift.pk,
        "start": shift.start.isoformat(),
        "end": shift.end.isoformat(),
        "team": shift.team_id,
        "user": shift.user_id,
        "edited": shift.edited,
    }


def change_row(*, shift: Shift, action, old=None, new=None, by=None, note="") -> ShiftChange:
    """Build (not save) an audit row for ``shift``."""
    return ShiftChange(
        shift=None if action == ShiftChange.Action.DELETED else shift,
        shift_ref=shift.pk,
        rotation_id=shift.rotation_id,
        action=action,
        changed_by=by,
        old=old,
        new=new,
        note=note[:200],
    )


def check_no_overlap(shift: Shift) -> None:
    """Refuse a shift that overlaps another one of its rotation (SQLite has no constraint).

    Raise ShiftOverlap on ``start`` naming the other shift's holder and window in the
    rotation's time zone, e.g. "This shift overlaps Alice Martin's shift Mon 7 Dec 09:00–Mon
    14 Dec 09:00 (Europe/London) on Payments on call."
    """
    clash = _clash(shift)
    if clash is not None:
        raise ShiftOverlap({"start": overlap_message(shift, clash)})


def _clash(shift: Shift) -> Shift | None:
    return (
        Shift.objects.filter(
            rotation_id=shift.rotation_id, start__lt=shift.end, end__gt=shift.start
        )
        .exclude(pk=shift.pk)
        .select_related("user", "team", "rotation")
        .order_by("start")
        .first()
    )


def holder_name(shift: Shift) -> str:
    """Name whoever holds ``shift``: the person's full name (else username), or the team's."""
    if shift.user_id:
        return shift.user.get_full_name() or shift.user.get_username()
    if shift.team_id:
        return shift.team.name
    return "nobody"


def overlap_message(shift: Shift, clash: Shift) -> str:
    """Say which shift of the same rotation ``shift`` would overlap, in the rotation's zone."""
    rotation = clash.rotation
    window = window_text(clash.start, clash.end, zone(rotation.timezone))
    return (
        f"This shift overlaps {holder_name(clash)}'s shift {window} ({rotation.timezone}) "
        f"on {rotation.name}."
    )


def save_shift(shift: Shift, **kwargs) -> None:
    """Save a shift, turning PostgreSQL's overlap constraint into ShiftOverlap."""
    try:
        with transaction.atomic():
            shift.save(**kwargs)
            rota_touch()
    except IntegrityError as exc:
        if "rota_shift_no_overlap" in str(exc):
            # The constraint caught a race the check above missed: name the winner all the same.
            clash = _clash(shift)
            message = (
                overlap_message(shift, clash)
                if clash is not None
                else "This shift overlaps another shift of the same rotation."
            )
            raise ShiftOverlap({"start": message}) from exc
        raise
