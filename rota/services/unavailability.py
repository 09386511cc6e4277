"""Leave and public holidays typed in: create, change, delete (imports: `.unavailability_ics`)."""

from django.db import transaction

from core.services import apply_fields

from ..models import Unavailability
from ._common import rota_touch, team_holidays_touch
from .leave import LeaveResult, leave_covers_remove, leave_settle

FIELDS = ("user", "team", "start_date", "end_date", "reason", "kind")


@transaction.atomic
def unavailability_create(*, by=None, now=None, **data) -> Unavailability:
    """Record leave or a public holiday of a person or a team, and act on it at once.

    Coming shifts that clash are covered for the days away or swapped whole (see
    :mod:`rota.services.leave`); what that did is on the entry returned as ``settled`` (a
    :class:`~rota.services.leave.LeaveResult`). Raise ValidationError for bad fields.
    """
    entry = Unavailability(created_by=by, source=Unavailability.Source.MANUAL)
    apply_fields(entry, FIELDS, data)
    entry.full_clean()
    entry.save()
    _touch_if_holiday(entry)
    _touch_holiday_duty(entry)
    entry.settled = leave_settle(unavailability=entry, now=now, by=by)
    return entry


@transaction.atomic
def unavailability_update(
    *, unavailability: Unavailability, now=None, by=None, **data
) -> Unavailability:
    """Change an entry of leave or public holiday; new dates (or person) get their covers anew.

    A change of reason alone leaves the covers as they are, so nobody is told twice. ``by``
    bounds which rotations the new covers touch, as for :func:`unavailability_create`. What
    was done is on the entry returned as ``settled`` (a LeaveResult, empty when nothing moved).
    """
    moved = ("user_id", "team_id", "start_date", "end_date", "kind")
    before = [getattr(unavailability, name) for name in moved]
    old = Unavailability(**dict(zip(moved, before, strict=True)))
    apply_fields(unavailability, FIELDS, data)
    unavailability.full_clean()
    unavailability.save()
    _touch_if_holiday(unavailability)
    unavailability.settled = LeaveResult()
    if before != [getattr(unavailability, name) for name in moved]:
        _touch_holiday_duty(old)  # the days it no longer takes get their hours back
        _touch_holiday_duty(unavailability)
        leave_covers_remove(unavailability=unavailability)
        unavailability.settled = leave_settle(unavailability=unavailability, now=now, by=by)
    return unavailability


@transaction.atomic
def unavailability_delete(*, unavailability: Unavailability) -> None:
    """Remove an entry of leave or public holiday, and the covers made for it."""
    leave_covers_remove(unavailability=unavailability)
    _touch_holiday_duty(unavailability)
    unavailability.delete()
    _touch_if_holiday(unavailability)


def _touch_if_holiday(entry: Unavailability) -> None:
    # A team's public holiday switches its restricted rotations: on-call answers change.
    if entry.team_id is not None:
        rota_touch()


def _touch_holiday_duty(*entries: Unavailability) -> None:
    """Raise the SEQUENCE of duty re-cut by these entries if they are team public holidays."""
    spans = {}
    for entry in entries:
        if entry.team_id is not None and entry.kind == Unavailability.Kind.PUBLIC_HOLIDAY:
            spans.setdefault(entry.team_id, []).append((entry.start_date, entry.end_date))
    for team_id, days in spans.items():
        team_holidays_touch(team_id=team_id, spans=days)
