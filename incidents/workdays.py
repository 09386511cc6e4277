"""Working-day arithmetic for investigation timeboxes (Monday to Friday, local time)."""

import datetime
from zoneinfo import ZoneInfo


def add_working_days(start: datetime.datetime, days: int, tz: str) -> datetime.datetime:
    """Return ``start`` moved ``days`` working days later, at the same local time.

    Saturdays and Sundays in ``tz`` do not count: a day-long timebox started on Friday at
    15:00 ends on Monday at 15:00. A start at the weekend counts from Monday at the same time.
    """
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    day = local.date()
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    added = 0
    while added < days:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    wall = datetime.datetime.combine(day, local.time().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(datetime.UTC)
