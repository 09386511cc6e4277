"""The final schedule: shifts with overrides applied and restrictions honoured.

A segment is a span during which one assignee is on duty for a rotation. An override splits
the shift underneath it; a rotation restricted to business hours (Monday to Friday, between its
business hours, local to the rotation) or to out of hours only has segments inside those
windows. Everything here works on several rotations at once in two queries.
"""

import contextvars
import datetime
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db.models import OuterRef, Q, Subquery

from ..dealing import subtract
from ..models import Override, Rotation, Shift
from ..timeutil import ONE_DAY, local_at, local_date, zone


@dataclass(frozen=True)
class Segment:
    rotation_id: int
    start: datetime.datetime
    end: datetime.datetime
    team: object = None  # ownership.Team or None
    user: object = None  # the user or None
    shift_id: int | None = None
    override_id: int | None = None

    @property
    def is_override(self) -> bool:
        return self.override_id is not None

    @property
    def assignee_key(self):
        if self.team is not None:
            return ("team", self.team.pk)
        if self.user is not None:
            return ("user", self.user.pk)
        return None


def shift_list():
    """Return shifts with their rotation and assignee loaded (for lists and feeds)."""
    return Shift.objects.select_related("rotation", "team", "user")


def override_list():
    """Return overrides with their rotation and assignee loaded."""
    return Override.objects.select_related("rotation", "team", "user", "created_by")


def restriction_windows(rotation: Rotation, start, end) -> list[tuple] | None:
    """Return the spans of [start, end) in which the rotation is on duty; None = all of it."""
    if rotation.restriction == Rotation.Restriction.NONE:
        return None
    tz = zone(rotation.timezone)
    day = local_date(start, tz) - ONE_DAY
    last = local_date(end, tz) + ONE_DAY
    business = []
    while day <= last:
        if day.weekday() < 5:
            open_, close = (
                local_at(day, rotation.business_hours_start, tz),
                local_at(day, rotation.business_hours_end, tz),
            )
            if open_ < end and close > start:
                business.append((max(open_, start), min(close, end)))
        day += ONE_DAY
    if rotation.restriction == Rotation.Restriction.BUSINESS_HOURS:
        return business
    return subtract(start, end, business)


def _clip(spans, windows):
    if windows is None:
        return spans
    clipped = []
    for s, e in spans:
        for ws, we in windows:
            if ws < e and we > s:
                clipped.append((max(s, ws), min(e, we)))
    return clipped


def segments_for(rotations: list[Rotation], start, end) -> dict[int, list[Segment]]:
    """Return the final schedule of each rotation within [start, end), in two queries."""
    ids = [rotation.pk for rotation in rotations]
    result: dict[int, list[Segment]] = {pk: [] for pk in ids}
    if not ids:
        return result
    shifts = defaultdict(list)
    rows = Shift.objects.filter(rotation_id__in=ids, start__lt=end, end__gt=start)
    for shift in rows.select_related("team", "user").order_by("start"):
        shifts[shift.rotation_id].append(shift)
    overrides = defaultdict(list)
    for override in (
        Override.objects.filter(rotation_id__in=ids, start__lt=end, end__gt=start)
        .select_related("team", "user")
        .order_by("start")
    ):
        overrides[override.rotation_id].append(override)
    for rotation in rotations:
        result[rotation.pk] = _segments(
            rotation, shifts[rotation.pk], overrides[rotation.pk], start, end
        )
    return result


def _segments(rotation, shifts, overrides, start, end) -> list[Segment]:
    windows = restriction_windows(rotation, start, end)
    cover = [(o.start, o.end) for o in overrides]
    segments = []
    for shift in shifts:
        visible = subtract(max(shift.start, start), min(shift.end, end), cover)
        for s, e in _clip(visible, windows):
            segments.append(
                Segment(rotation.pk, s, e, team=shift.team, user=shift.user, shift_id=shift.pk)
            )
    for override in overrides:
        visible = [(max(override.start, start), min(override.end, end))]
        for s, e in _clip(visible, windows):
            segments.append(
                Segment(
                    rotation.pk,
                    s,
                    e,
                    team=override.team,
                    user=override.user,
                    override_id=override.pk,
                )
            )
    segments.sort(key=lambda seg: (seg.start, seg.end))
    return segments


def final_schedule(*, rotation: Rotation, start, end) -> list[Segment]:
    """Return who is on duty when within [start, end), overrides applied, in time order."""
    return segments_for([rotation], start, end)[rotation.pk]


# Collects the ends of the segments that on-call answers were built from, so that a caller
# can cache an answer until the first of them (see rota.routing.responders_now).
_validity: contextvars.ContextVar = contextvars.ContextVar("rota_validity", default=None)


@contextmanager
def tracking_validity():
    """Collect the end of every segment oncall_for finds (None where nobody is on duty)."""
    ends: list = []
    token = _validity.set(ends)
    try:
        yield ends
    finally:
        _validity.reset(token)


def oncall_for(rotations: list[Rotation], at) -> dict[int, Segment | None]:
    """Return, per rotation, the segment in force at instant ``at`` (two queries in all).

    The segment's ``end`` is when that assignee stops being on duty: the end of the shift, the
    start of the next override inside it, or the end of the restriction window.
    """
    ids = [rotation.pk for rotation in rotations]
    result: dict[int, Segment | None] = dict.fromkeys(ids)
    if not ids:
        return result
    current = {
        shift.rotation_id: shift
        for shift in Shift.objects.filter(rotation_id__in=ids, start__lte=at, end__gt=at)
        .select_related("team", "user")
        .order_by("start")
    }
    covering = Shift.objects.filter(
        rotation_id=OuterRef("rotation_id"), start__lte=at, end__gt=at
    ).order_by("start")
    overrides = defaultdict(list)
    for override in (
        Override.objects.filter(rotation_id__in=ids)
        .filter(
            Q(start__lte=at, end__gt=at)
            | Q(
                start__lt=Subquery(covering.values("end")[:1]),
                end__gt=Subquery(covering.values("start")[:1]),
            )
        )
        .select_related("team", "user")
        .order_by("start")
    ):
        overrides[override.rotation_id].append(override)
    for rotation in rotations:
        result[rotation.pk] = _segment_at(
            rotation, current.get(rotation.pk), overrides[rotation.pk], at
        )
    ends = _validity.get()
    if ends is not None:
        ends.extend(segment.end if segment else None for segment in result.values())
    return result


def _segment_at(rotation, shift, overrides, at) -> Segment | None:
    active = next((o for o in overrides if o.start <= at < o.end), None)
    if active is not None:
        segment = Segment(
            rotation.pk, active.start, active.end, active.team, active.user, None, active.pk
        )
    elif shift is not None:
        spans = subtract(shift.start, shift.end, [(o.start, o.end) for o in overrides])
        span = next(((s, e) for s, e in spans if s <= at < e), None)
        if span is None:
            return None
        segment = Segment(rotation.pk, *span, shift.team, shift.user, shift.pk, None)
    else:
        return None
    windows = restriction_windows(
        rotation, at - datetime.timedelta(days=4), at + datetime.timedelta(days=4)
    )
    if windows is None:
        return segment
    window = next(((s, e) for s, e in windows if s <= at < e), None)
    if window is None:
        return None
    return replace(segment, start=max(segment.start, window[0]), end=min(segment.end, window[1]))


def oncall_at(*, rotation: Rotation, at) -> Segment | None:
    """Return the segment of the rotation in force at instant ``at`` (None: nobody on duty)."""
    return oncall_for([rotation], at)[rotation.pk]
