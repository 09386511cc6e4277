"""Helpers shared by the rota's services."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.services import version_touch
from core.timeutil import ONE_DAY, UTC, date_span, window_text, zone

from ..exceptions import ShiftOverlap
from ..models import Override, Rotation, RotaVersion, Shift, ShiftChange


def rota_touch() -> None:
    """Replace the rota version tag so every process's on-call cache notices the change."""
    version_touch(RotaVersion, field="tag")


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


def team_holidays_touch(*, team_id: int, spans) -> int:
    """Raise the SEQUENCE of the duty that a change to a team's public holidays re-cuts.

    ``spans`` are (first, last) dates (inclusive) of holidays added, moved or removed. A team's
    holiday switches its restricted rotations off (business hours) or on (out of hours), so
    the calendar events of the shifts and covers over those days change although no row of
    theirs did; raising their ``sequence`` (and ``updated_at``) changes every feed's
    fingerprint and tells calendar apps to take the new events. The rotations are those whose
    holidays are the team's (the rule of :mod:`rota.selectors.holidays`): restricted person
    rotations of the team, restricted rotations following a team rotation the team is on
    support in then, and the team's shifts and covers on restricted team rotations. Dates are
    read in each rotation's zone. Return how many rows were bumped.
    """
    spans = [(first, last) for first, last in spans]
    if not spans:
        return 0
    # Weekly windows ignore holidays.
    restricted = Rotation.objects.filter(
        restriction__in=[Rotation.Restriction.BUSINESS_HOURS, Rotation.Restriction.OUT_OF_HOURS]
    )
    # Widest UTC bounds of the dates in any zone (offsets are within 14 hours).
    widest = Q()
    for first, last in spans:
        widest |= Q(
            start__lt=datetime.datetime.combine(last + 2 * ONE_DAY, datetime.time(), UTC),
            end__gt=datetime.datetime.combine(first - ONE_DAY, datetime.time(), UTC),
        )
    followed = (
        Shift.objects.filter(widest, team_id=team_id, rotation__kind=Rotation.Kind.TEAM)
        .values_list("rotation_id", flat=True)
        .distinct()
    )
    rotations = list(
        restricted.filter(
            Q(team_id=team_id, follows_team_rotation__isnull=True)
            | Q(follows_team_rotation_id__in=list(followed))
            | Q(kind=Rotation.Kind.TEAM, team__isnull=True)
        )
    )
    bumped, now = 0, timezone.now()
    for rotation in rotations:
        tz = zone(rotation.timezone)
        overlaps = Q()
        for first, last in spans:
            start, end = date_span(first, last, tz)
            overlaps |= Q(start__lt=end, end__gt=start)
        mine = Q(team_id=team_id) if rotation.kind == Rotation.Kind.TEAM else Q()
        for model in (Shift, Override):
            bumped += model.objects.filter(overlaps, mine, rotation=rotation).update(
                sequence=F("sequence") + 1, updated_at=now
            )
    return bumped
