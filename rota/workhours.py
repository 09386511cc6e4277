"""Business hours: the one rule of when a team works, shared by the rota and the reports.

On a local date D, a team whose public holidays are H works from ``opens`` to ``closes`` local
time (09:00 to 17:00 unless a rotation says otherwise) when D is a Monday to Friday not in H,
and not at all on weekends and holidays. Rotations restricted to business hours (or to out of
hours) apply it with their own hours in their own time zone; the reports apply it with the
defaults in a team's or a person's time zone.
"""

import datetime
from collections.abc import Collection
from zoneinfo import ZoneInfo

from core.timeutil import ONE_DAY, local_at, local_date

OPENS = datetime.time(9, 0)
CLOSES = datetime.time(17, 0)


def is_business_day(day: datetime.date, holidays: Collection = frozenset()) -> bool:
    """Return whether the local date ``day`` is a Monday to Friday that is not a holiday."""
    return day.weekday() < 5 and day not in holidays


def business_hours(
    day: datetime.date,
    tz: ZoneInfo,
    *,
    opens: datetime.time = OPENS,
    closes: datetime.time = CLOSES,
    holidays: Collection = frozenset(),
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """Return the UTC span of business hours on the local date ``day`` (None: there are none)."""
    if not is_business_day(day, holidays):
        return None
    return local_at(day, opens, tz), local_at(day, closes, tz)


def business_windows(
    start: datetime.datetime,
    end: datetime.datetime,
    tz: ZoneInfo,
    *,
    opens: datetime.time = OPENS,
    closes: datetime.time = CLOSES,
    holidays: Collection = frozenset(),
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Return the spans of business hours within [start, end), clipped to it, in time order.

    ``opens`` must be before ``closes``: each day's hours then lie within that local day.
    """
    windows = []
    if end <= start:
        return windows
    day, last = local_date(start, tz), local_date(end, tz)
    while day <= last:
        span = business_hours(day, tz, opens=opens, closes=closes, holidays=holidays)
        if span is not None and span[0] < end and span[1] > start:
            windows.append((max(span[0], start), min(span[1], end)))
        day += ONE_DAY
    return windows
