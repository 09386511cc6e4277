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
from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.db import connection

from ownership.models import Team

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


@dataclass(frozen=True)
class Row:
    """A shift or override as the segment rules read it: its span and who holds it."""

    pk: int
    rotation_id: int
    start: datetime.datetime
    end: datetime.datetime
    team: Team | None
    user: object | None


# These lookups run on every on-call answer at an instant; their SQL is written out because
# compiling the equivalent querysets cost several times what the database spends on them
# (the profile: about half of a lookup's CPU was the ORM building SQL). Only the models' own
# quoted table and column names are interpolated; every value is a parameter.


def _columns(model, alias: str) -> list[str]:
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


def _instance(model, values):
    """Return a model instance from its concrete fields' column values (None for a NULL row)."""
    if values[0] is None:
        return None
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        expression = field.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(expression) + field.get_db_converters(
            connection
        ):
            value = convert(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, None, converted)


def _rows(table: str, where: str, params: list) -> list[Row]:
    """Return the rows of a shift or override table matching ``where`` (aliased ``x``)."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    team_columns, user_columns = _columns(Team, "t"), _columns(user_model, "u")
    sql = (
        f"SELECT x.id, x.rotation_id, x.{quote('start')}, x.{quote('end')}, "  # noqa: S608
        f"{', '.join(team_columns + user_columns)} FROM {quote(table)} x"
        f" LEFT JOIN {quote(Team._meta.db_table)} t ON t.id = x.team_id"
        f" LEFT JOIN {quote(user_model._meta.db_table)} u ON u.id = x.user_id"
        f" WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    start_field = Shift._meta.get_field("start")
    expression = start_field.get_col(Shift._meta.db_table)
    times = connection.ops.get_db_converters(expression)
    rows = []
    teams = len(team_columns)
    for pk, rotation_id, start, end, *rest in found:
        for convert in times:
            start, end = (
                convert(start, expression, connection),
                convert(end, expression, connection),
            )
        team = _instance(Team, rest[:teams])
        user = _instance(user_model, rest[teams:])
        rows.append(Row(pk, rotation_id, start, end, team, user))
    return rows


def _instant(value) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _current_shifts(ids: list[int], at) -> dict[int, Row]:
    """Return {rotation id: the shift in force at ``at``} in one query, a seek per rotation."""
    quote = connection.ops.quote_name
    shifts, rotations = quote(Shift._meta.db_table), quote(Rotation._meta.db_table)
    start, end = quote("start"), quote("end")
    where = (
        f"x.id IN (SELECT (SELECT s.id FROM {shifts} s WHERE s.rotation_id = r.id"  # noqa: S608
        f" AND s.{start} <= %s ORDER BY s.{start} DESC LIMIT 1) FROM {rotations} r"
        f" WHERE r.id IN ({', '.join(['%s'] * len(ids))})) AND x.{end} > %s"
    )
    rows = _rows(Shift._meta.db_table, where, [_instant(at), *ids, _instant(at)])
    return {row.rotation_id: row for row in rows}


def _overlapping(windows: dict[int, tuple]) -> list[Row]:
    """Return the overrides overlapping each rotation's window ({rotation id: (from, until)})."""
    quote = connection.ops.quote_name
    start, end = quote("start"), quote("end")
    clause = f"(x.rotation_id = %s AND x.{start} < %s AND x.{end} > %s)"
    params = []
    for rotation_id, (since, until) in windows.items():
        params += [rotation_id, _instant(until), _instant(since)]
    return _rows(Override._meta.db_table, " OR ".join([clause] * len(windows)), params)


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
