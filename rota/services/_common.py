"""Helpers shared by the rota's services."""

import uuid

from django.db import IntegrityError, transaction

from ..exceptions import ShiftOverlap
from ..models import RotaVersion, Shift, ShiftChange


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
    """Refuse a shift that overlaps another one of its rotation (SQLite has no constraint)."""
    clash = (
        Shift.objects.filter(
            rotation_id=shift.rotation_id, start__lt=shift.end, end__gt=shift.start
        )
        .exclude(pk=shift.pk)
        .order_by("start")
        .first()
    )
    if clash is not None:
        raise ShiftOverlap(
            {
                "start": f"This shift overlaps shift {clash.pk} "
                f"({clash.start:%Y-%m-%d %H:%M} - {clash.end:%Y-%m-%d %H:%M} UTC) "
                "of the same rotation."
            }
        )


def save_shift(shift: Shift, **kwargs) -> None:
    """Save a shift, turning PostgreSQL's overlap constraint into ShiftOverlap."""
    try:
        with transaction.atomic():
            shift.save(**kwargs)
            rota_touch()
    except IntegrityError as exc:
        if "rota_shift_no_overlap" in str(exc):
            raise ShiftOverlap(
                {"start": "This shift overlaps another shift of the same rotation."}
            ) from exc
        raise
