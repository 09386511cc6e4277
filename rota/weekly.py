"""Weekly windows: the restriction that puts a rotation on duty only in chosen spans of the week.

A rotation with ``restriction = "weekly"`` keeps its windows in ``restriction_windows``, a list
of dicts in the rotation's time zone::

    [{"from_day": 1, "from": "09:00", "to_day": 5, "to": "17:00"},   # Mon 09:00 - Fri 17:00
     {"from_day": 6, "from": "20:00", "to_day": 1, "to": "08:00"}]   # Sat 20:00 - Mon 08:00

Days are ISO weekdays (Monday = 1 ... Sunday = 7); times are ``HH:MM`` (00:00 to 23:59). A
window runs from its start to the next occurrence of its end in week order, so one whose end is
at or before its start wraps over the week's end (Sun 22:00 - Mon 06:00). A window whose end
equals its start is refused: it would be empty or the whole week, and the whole week is the
"around the clock" restriction. Overlapping windows are unioned.

Times are local wall-clock times: a 09:00-17:00 window is 09:00-17:00 local on both sides of a
DST change (so its UTC length changes on the night the clocks move), and a local time that
does not exist or exists twice is read by the rule of :mod:`core.timeutil` (the instant of the
jump; the first occurrence). Public holidays do not switch weekly windows off, unlike business
hours: an imported schedule says exactly when it is on duty.

The readable text form (the admin's) is one window per line, ``Mon 09:00 - Fri 17:00``.
"""

import datetime
import re
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from core.timeutil import ONE_DAY, local_at, local_date

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KEYS = ("from_day", "from", "to_day", "to")
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
MINUTES_IN_WEEK = 7 * 24 * 60


def _time(value) -> datetime.time | None:
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return datetime.time(hour, minute)


def window_errors(windows) -> list[str]:
    """Return what is wrong with a list of windows, each message naming the index and key.

    E.g. ``restriction_windows[1].to: "25:00" is not a time HH:MM``. An empty list is valid
    here (whether windows are required depends on the restriction).
    """
    if not isinstance(windows, list):
        return ["restriction_windows: must be a list of windows"]
    errors = []
    for i, window in enumerate(windows):
        where = f"restriction_windows[{i}]"
        if not isinstance(window, dict):
            errors.append(f"{where}: must be an object with keys {', '.join(KEYS)}")
            continue
        unknown = sorted(set(window) - set(KEYS))
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
        bad = False
        for key in ("from_day", "to_day"):
            value = window.get(key)
            if key not in window:
                errors.append(f"{where}.{key}: is required")
                bad = True
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 7:
                errors.append(f"{where}.{key}: {value!r} is not a day 1 (Monday) to 7 (Sunday)")
                bad = True
        for key in ("from", "to"):
            if key not in window:
                errors.append(f"{where}.{key}: is required")
                bad = True
            elif _time(window[key]) is None:
                errors.append(f'{where}.{key}: "{window[key]}" is not a time HH:MM')
                bad = True
        if not bad and _minute_of_week(window, "from") == _minute_of_week(window, "to"):
            errors.append(
                f"{where}: ends where it starts; a window cannot be empty or the whole week "
                "(use no restriction for around the clock)"
            )
    return errors


def _minute_of_week(window: dict, end: str) -> int:
    t = _time(window[end])
    return (window[f"{end}_day"] - 1) * 1440 + t.hour * 60 + t.minute


def weekly_windows(
    windows: list[dict], start: datetime.datetime, end: datetime.datetime, tz: ZoneInfo
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Return the UTC spans of [start, end) inside the (valid) windows, merged, in time order."""
    if end <= start or not windows:
        return []
    spans = []
    # A window starts at most a week before the instant it covers.
    day, last = local_date(start, tz) - 7 * ONE_DAY, local_date(end, tz)
    parsed = []
    for window in windows:
        length = (_minute_of_week(window, "to") - _minute_of_week(window, "from")) % (
            MINUTES_IN_WEEK
        )
        days_on = (window["to_day"] - window["from_day"]) % 7
        if days_on == 0 and length >= 1440:
            days_on = 7  # ends on its own weekday a week later
        parsed.append((window["from_day"], _time(window["from"]), days_on, _time(window["to"])))
    while day <= last:
        weekday = day.isoweekday()
        for from_day, opens, days_on, closes in parsed:
            if from_day != weekday:
                continue
            s = local_at(day, opens, tz)
            e = local_at(day + days_on * ONE_DAY, closes, tz)
            if s < end and e > start and s < e:
                spans.append((max(s, start), min(e, end)))
        day += ONE_DAY
    spans.sort()
    merged = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


_LINE = re.compile(
    r"^\s*(?P<from_day>[A-Za-z]+)\s+(?P<from>\S+)\s*[-–]\s*(?P<to_day>[A-Za-z]+)\s+(?P<to>\S+)\s*$"
)


def parse_windows_text(text: str) -> list[dict]:
    """Parse one window a line, ``Mon 09:00 - Fri 17:00``, into the stored list of dicts.

    Day names are English, three letters or in full (``Mon``, ``monday``); blank lines are skipped.
    Raise ValidationError naming the line (``line 2: "Sat 25:00 - Mon 08:00": ...``).
    """
    windows, errors = [], []
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    days = {name.lower(): i for i, name in enumerate(DAY_NAMES, start=1)}
    days.update({name: i for i, name in enumerate(full, start=1)})
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(f'line {number}: "{line.strip()}" is not like "Mon 09:00 - Fri 17:00"')
            continue
        window = {
            "from_day": days.get(match["from_day"].lower()),
            "from": match["from"],
            "to_day": days.get(match["to_day"].lower()),
            "to": match["to"],
        }
        problems = []
        for key in ("from_day", "to_day"):
            if window[key] is None:
                problems.append(f'"{match[key]}" is not a day (Mon to Sun)')
        if not problems:
            problems = [e.split(": ", 1)[1] for e in window_errors([window])]
        if problems:
            errors.append(f'line {number}: "{line.strip()}": {"; ".join(problems)}')
        else:
            windows.append(window)
    if errors:
        raise ValidationError(errors)
    return windows


def windows_text(windows) -> str:
    """Return the windows one a line, ``Mon 09:00 - Fri 17:00`` (the inverse of parsing)."""
    return "\n".join(
        f"{DAY_NAMES[w['from_day'] - 1]} {w['from']} - {DAY_NAMES[w['to_day'] - 1]} {w['to']}"
        for w in windows or ()
    )
