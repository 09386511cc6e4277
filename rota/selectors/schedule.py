"""The final schedule: shifts with overrides applied and restrictions honoured.

A segment is a span during which one assignee is on duty for a rotation.

**Overrides.** An override splits the shift underneath it. Overrides of one rotation either lie
apart or one lies entirely inside another, to any depth (a cover for the cover); the services
refuse partial overlaps and duplicates. At each instant the narrowest override covering it
holds the rotation: an inner override holds its window, the outer one holds the rest of its
own (before and after the inner one), and the shift holds what no override covers.

**Restrictions.** A rotation restricted to business hours is on duty Monday to Friday between
its business hours, local to the rotation, except on the public holidays of its team (the rule
of :mod:`rota.workhours`, the one the reports use); an out-of-hours rotation is on duty the
rest of the time, so all day on those holidays. Holiday dates (``Unavailability`` rows of kind
``public_holiday`` for a team) are read in the rotation's time zone. Whose holidays count:

* a person rotation that follows a team rotation: those of the team on the followed rotation's
  shift at that instant (its stored shifts, from which generation deals the follower's shifts
  among that team's members; an override of the team rotation does not change whose people
  the follower's shifts hold);
* any other rotation with a ``team``: that team's;
* a team rotation without a ``team``: those of the team on duty in it at that instant;
* any other rotation: none (weekends only).

**Queries.** :func:`segments_for` and :func:`oncall_for` work on any number of rotations in
two queries (shifts, overrides), plus one for holidays (with the followed rotations' shifts)
when a rotation restricted to (or out of) business hours in the batch has a team to ask about.
"""

import contextvars
import datetime
import itertools
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db.models import Exists, OuterRef, Q, Subquery

from core.timeutil import zone

from ..dealing import subtract
from ..models import Override, Rotation, Shift
from ..weekly import weekly_windows
from ..workhours import business_windows
from .holidays import NO_HOLIDAYS, Period, load_holidays
from .running import shifts_in_force


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


# The restrictions that public holidays switch (business hours off, out of hours on).
HOLIDAY_RESTRICTIONS = (Rotation.Restriction.BUSINESS_HOURS, Rotation.Restriction.OUT_OF_HOURS)


def shift_list():
    """Return shifts with their rotation and assignee loaded (for lists and feeds)."""
    return Shift.objects.select_related("rotation", "team", "user")


def override_list():
    """Return overrides with their rotation and assignee loaded."""
    return Override.objects.select_related("rotation", "team", "user", "created_by")


def restriction_windows(
    rotation: Rotation, start, end, *, holidays: list[Period] = ()
) -> list[tuple] | None:
    """Return the spans of [start, end) in which the rotation is on duty; None = all of it.

    ``holidays`` are periods (from, until, local dates) in which those dates are public
    holidays (see :mod:`rota.selectors.holidays`); outside them no day is a holiday. The spans
    are in time order, touching ones merged. Weekly windows ignore ``holidays``. Pure
    computation, no queries.
    """
    if rotation.restriction == Rotation.Restriction.NONE:
        return None
    tz = zone(rotation.timezone)
    if rotation.restriction == Rotation.Restriction.WEEKLY:
        return weekly_windows(rotation.restriction_windows, start, end, tz)
    business = []
    for s, e, dates in _partition(start, end, holidays):
        business += business_windows(
            s,
            e,
            tz,
            opens=rotation.business_hours_start,
            closes=rotation.business_hours_end,
            holidays=dates,
        )
    business = _merged(business)
    if rotation.restriction == Rotation.Restriction.BUSINESS_HOURS:
        return business
    return subtract(start, end, business)


def _partition(start, end, periods) -> list[Period]:
    """Cover [start, end) with the periods, clipped, and periods without holidays between."""
    pieces, cursor = [], start
    for s, e, dates in sorted(periods, key=lambda period: period[0]):
        s, e = max(s, cursor), min(e, end)
        if s >= e:
            continue
        if s > cursor:
            pieces.append((cursor, s, NO_HOLIDAYS))
        pieces.append((s, e, dates))
        cursor = e
    if cursor < end:
        pieces.append((cursor, end, NO_HOLIDAYS))
    return pieces


def _merged(spans) -> list[tuple]:
    # Business hours split where the team on duty changes are still one stretch of duty.
    merged = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _clip(segments: list[Segment], windows) -> list[Segment]:
    if windows is None:
        return segments
    clipped = []
    for segment in segments:
        for ws, we in windows:
            if ws < segment.end and we > segment.start:
                clipped.append(
                    replace(segment, start=max(segment.start, ws), end=min(segment.end, we))
                )
    return clipped


def _narrowest(override) -> tuple:
    # Nested overrides: the innermost is the shortest. Rows that overlap only partly (written
    # before the nesting rule, or in bulk) still get one answer: the later start, then the
    # later row, wins a tie.
    return (override.end - override.start, -override.start.timestamp(), -(override.pk or 0))


def _override_pieces(overrides, start, end) -> list[tuple]:
    """Return (from, until, override) for the parts of [start, end) overrides hold, in order."""
    points = sorted(
        {start, end} | {t for o in overrides for t in (o.start, o.end) if start < t < end}
    )
    waiting = sorted(overrides, key=lambda o: o.start)
    active, pieces, next_up = [], [], 0
    for s, e in itertools.pairwise(points):
        while next_up < len(waiting) and waiting[next_up].start <= s:
            active.append(waiting[next_up])
            next_up += 1
        active = [o for o in active if o.end > s]
        if not active:
            continue
        holder = min(active, key=_narrowest)
        if pieces and pieces[-1][2] is holder and pieces[-1][1] == s:
            pieces[-1] = (pieces[-1][0], e, holder)
        else:
            pieces.append((s, e, holder))
    return pieces


def _unrestricted(rotation, shifts, overrides, start, end) -> list[Segment]:
    """Return who holds [start, end) by shifts and overrides, before any restriction."""
    cover = [(o.start, o.end) for o in overrides]
    segments = []
    for shift in shifts:
        for s, e in subtract(max(shift.start, start), min(shift.end, end), cover):
            segments.append(
                Segment(rotation.pk, s, e, team=shift.team, user=shift.user, shift_id=shift.pk)
            )
    for s, e, override in _override_pieces(overrides, start, end):
        segments.append(
            Segment(
                rotation.pk, s, e, team=override.team, user=override.user, override_id=override.pk
            )
        )
    segments.sort(key=lambda seg: (seg.start, seg.end))
    return segments


@dataclass(frozen=True)
class Duty:
    """A rotation's final schedule over a span, and the windows its restriction leaves on duty."""

    segments: list[Segment]
    windows: list[tuple] | None  # None: on duty all the time (no restriction)


def duty_for(rotations: list[Rotation], start, end, *, rows=None) -> dict[int, Duty]:
    """Return each rotation's final schedule within [start, end) and its duty windows.

    Two queries, and a third for holidays when a restricted rotation has a team. ``rows``,
    when given, is (shifts, overrides) already loaded, each in start order: at least every
    row of these rotations overlapping [start, end), with team and user; the two queries are
    then saved.
    """
    ids = [rotation.pk for rotation in rotations]
    if not ids:
        return {}
    if rows is None:
        shift_rows = (
            Shift.objects.filter(rotation_id__in=ids, start__lt=end, end__gt=start)
            .select_related("team", "user")
            .order_by("start")
        )
        override_rows = (
            Override.objects.filter(rotation_id__in=ids, start__lt=end, end__gt=start)
            .select_related("team", "user")
            .order_by("start")
        )
    else:
        shift_rows, override_rows = rows
    shifts = defaultdict(list)
    for shift in shift_rows:
        if shift.start < end and shift.end > start:
            shifts[shift.rotation_id].append(shift)
    overrides = defaultdict(list)
    for override in override_rows:
        if override.start < end and override.end > start:
            overrides[override.rotation_id].append(override)
    raw = {
        rotation.pk: _unrestricted(
            rotation, shifts[rotation.pk], overrides[rotation.pk], start, end
        )
        for rotation in rotations
    }
    restricted = [r for r in rotations if r.restriction in HOLIDAY_RESTRICTIONS]
    book = load_holidays([(r, raw[r.pk], start, end) for r in restricted])
    result = {}
    for rotation in rotations:
        windows = None
        if rotation.restriction != Rotation.Restriction.NONE:
            periods = book.periods(rotation, raw[rotation.pk], start, end)
            windows = restriction_windows(rotation, start, end, holidays=periods)
        result[rotation.pk] = Duty(_clip(raw[rotation.pk], windows), windows)
    return result


def segments_for(rotations: list[Rotation], start, end, *, rows=None) -> dict[int, list[Segment]]:
    """Return the final schedule of each rotation within [start, end).

    Two queries, and a third for holidays when a restricted rotation has a team; none but
    that third with ``rows`` already loaded (see :func:`duty_for`).
    """
    return {pk: duty.segments for pk, duty in duty_for(rotations, start, end, rows=rows).items()}


def final_schedule(*, rotation: Rotation, start, end) -> list[Segment]:
    """Return who is on duty when within [start, end), overrides applied, in time order."""
    return segments_for([rotation], start, end)[rotation.pk]


# Collects the ends of the segments that on-call answers were built from, so that a caller
# can cache an answer until the first of them (see rota.routing_cache.responders_now).
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
    """Return, per rotation, the segment in force at instant ``at``.

    The segment's ``end`` is when that assignee stops being on duty: the end of the shift or
    override, the start of an override inside it, or the end of the restriction window; it is
    the end of the segment of :func:`segments_for` that contains ``at``. Two queries in all,
    and a third for holidays when a restricted rotation with a team has someone on duty.
    """
    ids = [rotation.pk for rotation in rotations]
    result: dict[int, Segment | None] = dict.fromkeys(ids)
    if not ids:
        return result
    current = {
        shift.rotation_id: shift
        for shift in shifts_in_force(at=at, rotations=ids).select_related("team", "user")
    }
    # Everything that can bound the segment at ``at``: overrides inside the shift in force,
    # and every override overlapping one that covers ``at`` (an inner override cuts its outer
    # one; an outer one resumes after it). Latest first: the one covering ``at`` is the first
    # the index meets.
    covering_shift = Shift.objects.filter(
        rotation_id=OuterRef("rotation_id"), start__lte=at, end__gt=at
    ).order_by("-start")
    covering_override = Override.objects.filter(
        rotation_id=OuterRef("rotation_id"), start__lte=at, end__gt=at
    ).filter(start__lt=OuterRef("end"), end__gt=OuterRef("start"))
    overrides = defaultdict(list)
    for override in (
        Override.objects.filter(rotation_id__in=ids)
        .filter(
            Q(Exists(covering_override))
            | Q(
                start__lt=Subquery(covering_shift.values("end")[:1]),
                end__gt=Subquery(covering_shift.values("start")[:1]),
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
    restricted = [
        r for r in rotations if r.restriction != Rotation.Restriction.NONE and result[r.pk]
    ]
    book = load_holidays(
        [
            (r, [result[r.pk]], result[r.pk].start, result[r.pk].end)
            for r in restricted
            if r.restriction in HOLIDAY_RESTRICTIONS
        ]
    )
    for rotation in restricted:
        result[rotation.pk] = _restricted_at(rotation, result[rotation.pk], at, book)
    ends = _validity.get()
    if ends is not None:
        ends.extend(segment.end if segment else None for segment in result.values())
    return result


def _segment_at(rotation, shift, overrides, at) -> Segment | None:
    """Return the segment (before restrictions) that holds ``at``, as segments_for cuts it."""
    spans = [(o.start, o.end) for o in overrides]
    if shift is not None:
        spans.append((shift.start, shift.end))
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    shifts = [shift] if shift is not None else []
    return next(
        (
            seg
            for seg in _unrestricted(rotation, shifts, overrides, start, end)
            if seg.start <= at < seg.end
        ),
        None,
    )


# How far around ``at`` to look for the restriction window first; a longer window (a long
# weekend out of hours) doubles it until the window's ends are found.
WINDOW_REACH = datetime.timedelta(days=4)


def _restricted_at(rotation, segment: Segment, at, book) -> Segment | None:
    periods = book.periods(rotation, [segment], segment.start, segment.end)
    reach = WINDOW_REACH
    while True:
        start, end = max(segment.start, at - reach), min(segment.end, at + reach)
        windows = restriction_windows(rotation, start, end, holidays=periods)
        window = next(((s, e) for s, e in windows if s <= at < e), None)
        if window is None:
            return None
        if (window[0] > start or start == segment.start) and (
            window[1] < end or end == segment.end
        ):
            return replace(segment, start=window[0], end=window[1])
        reach *= 2


def oncall_at(*, rotation: Rotation, at) -> Segment | None:
    """Return the segment of the rotation in force at instant ``at`` (None: nobody on duty)."""
    return oncall_for([rotation], at)[rotation.pk]
