"""Working hours, weekends, public holidays and nights, in a team's or a person's time zone.

The rules every report uses:

* working hours are Monday to Friday, 09:00 to 17:00 local time, except public holidays (the
  rule of :mod:`rota.workhours`, which business-hours rotations follow too);
* a night is 22:00 to 07:00 local time and belongs to the date on which it began;
* a weekend day is a local Saturday or Sunday.
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache

from core import caches
from core.timeutil import ONE_DAY, local_at, start_of_day, zone
from rota.workhours import CLOSES, OPENS, is_business_day

WORKDAY_START = OPENS
WORKDAY_END = CLOSES
NIGHT_START = datetime.time(22, 0)
NIGHT_END = datetime.time(7, 0)
HOUR = datetime.timedelta(hours=1)
MAX_DAYS = 3 * 366  # never walk further than a report can reach


@lru_cache(maxsize=16384)
def _opening(day: datetime.date, timezone: str) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the instants a working day opens and closes (the same few days recur a lot)."""
    tz = zone(timezone)
    return local_at(day, WORKDAY_START, tz), local_at(day, WORKDAY_END, tz)


caches.register("reports.workcal.opening", _opening.cache_clear)


@dataclass(frozen=True)
class WorkCalendar:
    """A time zone with its public holidays (dates)."""

    timezone: str
    holidays: frozenset = frozenset()

    def is_working_day(self, day: datetime.date) -> bool:
        return is_business_day(day, self.holidays)

    def is_working_time(self, instant: datetime.datetime) -> bool:
        """Return whether ``instant`` falls in working hours."""
        local = instant.astimezone(zone(self.timezone))
        return self.is_working_day(local.date()) and WORKDAY_START <= local.time() < WORKDAY_END

    def night_of(self, instant: datetime.datetime) -> datetime.date | None:
        """Return the date on which the night containing ``instant`` began, or None by day."""
        local = instant.astimezone(zone(self.timezone))
        if local.time() >= NIGHT_START:
            return local.date()
        if local.time() < NIGHT_END:
            return local.date() - ONE_DAY
        return None

    def working_days(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """Return the working days from ``first`` to ``last`` (inclusive)."""
        days, day = [], first
        while day <= last:
            if self.is_working_day(day):
                days.append(day)
            day += ONE_DAY
        return days

    def working_hours(self, start: datetime.datetime, end: datetime.datetime) -> float:
        """Return how many working hours lie between two instants."""
        if end <= start:
            return 0.0
        tz = zone(self.timezone)
        # The rule of rota.workhours (business_windows), walked day by day with each day's
        # opening cached: replays ask this for tens of thousands of incidents.
        day = start.astimezone(tz).date()
        last = min(end.astimezone(tz).date(), day + datetime.timedelta(days=MAX_DAYS))
        total = datetime.timedelta()
        while day <= last:
            if self.is_working_day(day):
                opens, closes = _opening(day, self.timezone)
                overlap = min(closes, end) - max(opens, start)
                if overlap > datetime.timedelta():
                    total += overlap
            day += ONE_DAY
        return total / HOUR

    def days_touched(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> list[tuple[datetime.date, float]]:
        """Return the local dates that ``[start, end)`` touches, with the hours on each."""
        tz = zone(self.timezone)
        day = start.astimezone(tz).date()
        last = min(end.astimezone(tz).date(), day + datetime.timedelta(days=MAX_DAYS))
        days = []
        while day <= last:
            begins, ends = start_of_day(day, tz), start_of_day(day + ONE_DAY, tz)
            overlap = min(ends, end) - max(begins, start)
            if overlap > datetime.timedelta():
                days.append((day, overlap / HOUR))
            day += ONE_DAY
        return days

    def is_weekend(self, day: datetime.date) -> bool:
        return day.weekday() >= 5
