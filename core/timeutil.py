"""Wall-clock arithmetic in IANA time zones, with one rule for DST edge cases.

The rule for a local time that does not exist or exists twice:

* **Spring forward** (e.g. 02:30 on the night New York skips from 02:00 to 03:00): the moment
  is the instant the clocks jump, which reads as the first valid local time after the gap
  (03:00 in that example). Nothing happens "later than planned", only as soon as possible.
* **Fall back** (e.g. 01:30 on the night New York repeats 01:00-02:00): the moment is the first
  occurrence, i.e. ``fold=0``, still on summer time.

Every conversion from local to UTC in the rota goes through :func:`local_to_utc`.
"""

import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from core import caches

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA name (cached)."""
    return ZoneInfo(name)


caches.register("core.timeutil.zone", zone.cache_clear)


def local_to_utc(naive: datetime.datetime, tz: ZoneInfo) -> datetime.datetime:
    """Return the UTC instant of a local wall-clock time, applying the DST rule above."""
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first  # exists; when ambiguous, fold=0 is the first occurrence
    # In a gap fold=1 maps with the offset after the jump (an earlier instant) and fold=0 with
    # the offset before it (a later one); the jump lies between: find it to the second.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first
    before = low.astimezone(tz).utcoffset()
    while high - low > datetime.timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def local_at(day: datetime.date, time: datetime.time, tz: ZoneInfo) -> datetime.datetime:
    """Return the UTC instant of ``time`` on ``day`` in ``tz``."""
    return local_to_utc(datetime.datetime.combine(day, time), tz)


def start_of_day(day: datetime.date, tz: ZoneInfo) -> datetime.datetime:
    """Return the UTC instant at which ``day`` begins in ``tz``."""
    return local_at(day, datetime.time(0, 0), tz)


def wall_clock(instant: datetime.datetime, zone_name: str, fmt: str) -> str:
    """Format ``instant`` as local time in the zone named, followed by the zone's abbreviation.

    E.g. "Mon 06 Jul 2026 09:00 BST" for Europe/London; a zone without a common abbreviation
    shows its offset ("+04").

    Never raises on an extreme instant (year 1 or 9999, where the zone's offset overflows
    ``datetime``): that one is shown as ISO 8601 in UTC, or as given if even that overflows.
    """
    try:
        moment = instant.astimezone(zone(zone_name))
        return f"{moment:{fmt}} {moment:%Z}"
    except (OverflowError, ValueError):
        return iso_fallback(instant)


def iso_fallback(instant: datetime.datetime) -> str:
    """Return ``instant`` as ISO 8601 in UTC, or as given where UTC overflows; never raises."""
    try:
        return instant.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        return instant.isoformat()


def local_date(instant: datetime.datetime, tz: ZoneInfo) -> datetime.date:
    """Return the calendar date in ``tz`` at ``instant``."""
    return instant.astimezone(tz).date()


def date_span(
    start_date: datetime.date, end_date: datetime.date, tz: ZoneInfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the half-open UTC span of the whole days ``start_date``..``end_date`` (inclusive)."""
    return start_of_day(start_date, tz), start_of_day(end_date + ONE_DAY, tz)


def ensure_aware(value: datetime.datetime, name: str = "value") -> datetime.datetime:
    """Refuse a naive datetime; the rota works with instants only."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value


def window_text(start: datetime.datetime, end: datetime.datetime, tz: ZoneInfo) -> str:
    """Return a window for people to read, in ``tz``: ``Mon 7 Dec 09:00–Mon 14 Dec 09:00``."""

    def when(instant):
        try:
            local = instant.astimezone(tz)
        except (OverflowError, ValueError):
            return iso_fallback(instant)
        return f"{local:%a} {local.day} {local:%b %H:%M}"

    return f"{when(start)}–{when(end)}"
