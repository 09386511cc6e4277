"""Who holds a rotation at one instant: the segment of the final schedule in force then.

:func:`oncall_for` answers with the very segment :func:`rota.selectors.schedule.segments_for`
would cut around the instant (overrides applied, restrictions and holidays honoured), but it
reads only the rows that can bound that segment, each found by an index seek, so its cost
does not grow with the history or the future of the rota:

* **the shift in force.** Shifts of one rotation never overlap (an exclusion constraint on
  PostgreSQL, the services elsewhere), so it is the latest shift starting at or before the
  instant, if it has not ended yet: one seek down ``(rotation, start, end)`` per rotation.
* **the overrides that cut it.** Those overlapping that shift; and, where an override covers
  the instant and reaches out of the shift (or there is no shift), those overlapping the
  overrides that cover it (an inner override cuts its outer one, an outer one resumes after
  it). Overrides of a rotation are nested or apart, so the ones covering an instant overlap
  each other and their union is one span.

Queries: two (shift, overrides), a third only when an override covering the instant reaches
out of its shift, and one for holidays when a restricted rotation with a team has someone on
duty. Never more, whatever the number of rows.
"""

import contextvars
import datetime
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import replace

from django.db.models import OuterRef, Q, Subquery

from ..models import Override, Rotation, Shift
from .holidays import load_holidays
from .schedule import HOLIDAY_RESTRICTIONS, Segment, _unrestricted, restriction_windows

# The smallest step of a stored instant: [at, at + TICK) holds ``at`` alone.
TICK = datetime.timedelta(microseconds=1)

# Collects the spans of the segments that on-call answers were built from, so that a caller
# can cache an answer for as long as all of them hold (see rota.routing_cache).
_validity: contextvars.ContextVar = contextvars.ContextVar("rota_validity", default=None)


@contextmanager
def tracking_validity():
    """Collect (start, end) of every segment oncall_for finds (None where nobody is on duty).

    Routing adds the spans of other facts its answer rests on (a dated owner) with
    :func:`record_validity`.
    """
    spans: list = []
    token = _validity.set(spans)
    try:
        yield spans
    finally:
        _validity.reset(token)


def record_validity(span: tuple | None) -> None:
    """Add a span (start, end; either None for unbounded) an answer holds within, if tracking."""
    spans = _validity.get()
    if spans is not None:
        spans.append(span)


def _current_shifts(ids: list[int], at) -> dict[int, Shift]:
    """Return {rotation id: the shift in force at ``at``} in one query, a seek per rotation."""
    latest = (
        Shift.objects.filter(rotation_id=OuterRef("pk"), start__lte=at)
        .order_by("-start")
        .values("pk")[:1]
    )
    starts = Rotation.objects.filter(pk__in=ids).values(latest_shift=Subquery(latest))
    return {
        shift.rotation_id: shift
        for shift in Shift.objects.filter(pk__in=starts, end__gt=at).select_related("team", "user")
    }


def _overlapping(windows: dict[int, tuple]) -> list[Override]:
    """Return the overrides overlapping each rotation's window ({rotation id: (from, until)})."""
    condition = Q(pk__in=[])
    for rotation_id, (start, end) in windows.items():
        condition |= Q(rotation_id=rotation_id, start__lt=end, end__gt=start)
    return list(Override.objects.filter(condition).select_related("team", "user"))


def _overrides_around(ids: list[int], current: dict[int, Shift], at) -> dict[int, list]:
    """Return, per rotation, every override that can bound the segment at ``at``, in start
    order (see the module docstring); two queries at most."""
    windows = {
        pk: (current[pk].start, current[pk].end) if pk in current else (at, at + TICK) for pk in ids
    }
    found = defaultdict(dict)
    for override in _overlapping(windows):
        found[override.rotation_id][override.pk] = override
    reaching = {}
    for pk, overrides in found.items():
        covering = [o for o in overrides.values() if o.start <= at < o.end]
        if not covering:
            continue
        span = (min(o.start for o in covering), max(o.end for o in covering))
        if span[0] < windows[pk][0] or span[1] > windows[pk][1]:
            reaching[pk] = span
    if reaching:
        for override in _overlapping(reaching):
            found[override.rotation_id][override.pk] = override
    return {
        pk: sorted(overrides.values(), key=lambda o: (o.start, o.pk))
        for pk, overrides in found.items()
    }


def oncall_for(rotations: list[Rotation], at) -> dict[int, Segment | None]:
    """Return, per rotation, the segment in force at instant ``at``.

    The segment's ``end`` is when that assignee stops being on duty: the end of the shift or
    override, the start of an override inside it, or the end of the restriction window; it is
    the segment of :func:`rota.selectors.schedule.segments_for` that contains ``at``. Queries:
    see the module docstring.
    """
    ids = [rotation.pk for rotation in rotations]
    result: dict[int, Segment | None] = dict.fromkeys(ids)
    if not ids:
        return result
    current = _current_shifts(ids, at)
    overrides = _overrides_around(ids, current, at)
    for rotation in rotations:
        result[rotation.pk] = _segment_at(
            rotation, current.get(rotation.pk), overrides.get(rotation.pk, []), at
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
    spans = {pk: (s.start, s.end) if s else None for pk, s in result.items()}
    for rotation in restricted:
        result[rotation.pk], spans[rotation.pk] = _restricted_at(
            rotation, result[rotation.pk], at, book
        )
    tracked = _validity.get()
    if tracked is not None:
        tracked.extend(spans.values())
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


def _restricted_at(rotation, segment: Segment, at, book) -> tuple[Segment | None, tuple]:
    """Return the segment clipped to the restriction window holding ``at`` and its span; or,
    off duty, None and a span of the gap around ``at`` (perhaps less than all of it)."""
    periods = book.periods(rotation, [segment], segment.start, segment.end)
    reach = WINDOW_REACH
    while True:
        start, end = max(segment.start, at - reach), min(segment.end, at + reach)
        windows = restriction_windows(rotation, start, end, holidays=periods)
        window = next(((s, e) for s, e in windows if s <= at < e), None)
        if window is None:
            # The windows are exact within [start, end): nobody is on duty between the last
            # one closing before ``at`` and the next one opening after it.
            gap = (
                max([start, *(e for _, e in windows if e <= at)]),
                min([end, *(s for s, _ in windows if s > at)]),
            )
            return None, gap
        if (window[0] > start or start == segment.start) and (
            window[1] < end or end == segment.end
        ):
            return replace(segment, start=window[0], end=window[1]), window
        reach *= 2


def oncall_at(*, rotation: Rotation, at) -> Segment | None:
    """Return the segment of the rotation in force at instant ``at`` (None: nobody on duty)."""
    return oncall_for([rotation], at)[rotation.pk]
