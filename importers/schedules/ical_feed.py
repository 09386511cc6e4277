"""Reading an iCalendar feed into shift occurrences (UTC), recurring events expanded."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone

from core.timeutil import ONE_DAY, UTC, local_to_utc, start_of_day
from importers.base import ImportRefused, excerpt

MAX_OCCURRENCES = 20_000


@dataclasses.dataclass(frozen=True)
class Occurrence:
    """One event occurrence: ``key`` is the shift's ``source_id``; times are UTC."""

    key: str
    uid: str
    summary: str
    start: datetime.datetime
    end: datetime.datetime
    attendees: tuple[str, ...]
    description: str
    where: str


def read_calendar(data: bytes) -> icalendar.Calendar:
    """Parse an iCalendar file; raise ImportRefused when it is not one."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        raise ImportRefused(f"not an iCalendar file ({_bad_line(data, error)})") from None
    if calendar.name != "VCALENDAR":
        raise ImportRefused("not an iCalendar file (no BEGIN:VCALENDAR)")
    return x_wr_timezone.to_standard(calendar)


def _bad_line(data: bytes, error: ValueError) -> str:
    """Name the first line icalendar cannot read, as ``line N: <excerpt>``; else the error's
    first 80 characters (the parser's messages quote the whole offending content)."""
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line[:1] in " \t":  # blank, or a folded line's continuation
            continue
        try:
            icalendar.parser.Contentline(line).parts()
        except ValueError:
            return f"line {number} cannot be read: {excerpt(line)!r}"
    return excerpt(str(error))


def _to_utc(value, tz: ZoneInfo) -> datetime.datetime:
    """A DATE is midnight in ``tz``; a floating date-time is wall-clock time in ``tz``."""
    if not isinstance(value, datetime.datetime):
        return start_of_day(value, tz)
    if value.tzinfo is None:
        return local_to_utc(value, tz)
    return value.astimezone(UTC)


def _uid(event) -> str:
    uid = str(event.get("UID", "")).strip()
    if uid:
        return uid
    start = event.get("DTSTART")
    seed = f"{start.to_ical().decode() if start else ''}\x1f{event.get('SUMMARY', '')}"
    return "no-uid-" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _key(uid: str, recurrence_id: datetime.datetime | None) -> str:
    key = uid if recurrence_id is None else f"{uid}/{recurrence_id:%Y%m%dT%H%M%SZ}"
    if len(key) > 255:  # the column's width; a hash keeps it unique
        key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()
    return key


def where_of(uid: str, start: datetime.datetime, tz: ZoneInfo) -> str:
    """Name an occurrence in the report: "event <uid> on <local start>"."""
    return f"event {uid} on {start.astimezone(tz):%Y-%m-%d %H:%M}"


def first_start(calendar, tz: ZoneInfo) -> datetime.datetime | None:
    """Return the earliest event start of the calendar (UTC), or None when it has none."""
    starts = [
        _to_utc(event.get("DTSTART").dt, tz)
        for event in calendar.walk("VEVENT")
        if event.get("DTSTART") is not None
    ]
    return min(starts, default=None)


def occurrences_in(
    calendar, tz: ZoneInfo, start: datetime.datetime, end: datetime.datetime, report
) -> list[Occurrence]:
    """Expand the events over [start, end) and return their occurrences, by start."""
    families: dict[str, list] = {}
    for event in calendar.walk("VEVENT"):
        if event.get("DTSTART") is None:
            report.problem(f"event {_uid(event)}", "no DTSTART: the event has no time")
            continue
        families.setdefault(_uid(event), []).append(event)
    # Expand a little wider than asked, in local wall-clock terms, then keep what overlaps.
    low = (start.astimezone(tz) - 2 * ONE_DAY).replace(tzinfo=None)
    high = (end.astimezone(tz) + 2 * ONE_DAY).replace(tzinfo=None)
    found: list[Occurrence] = []
    for uid, members in families.items():
        recurring = len(members) > 1 or any(
            e.get("RRULE") is not None or e.get("RDATE") is not None for e in members
        )
        series = icalendar.Calendar()
        for event in members:
            series.add_component(event)
        try:
            events = recurring_ical_events.of(series).between(low, high)
        except Exception as error:  # noqa: BLE001 - a bad rule skips that event alone
            first = _to_utc(members[0].get("DTSTART").dt, tz)
            report.problem(where_of(uid, first, tz), f"cannot expand its recurrence: {error}")
            continue
        for event in events:
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            occurrence_start = _to_utc(event.get("DTSTART").dt, tz)
            where = where_of(uid, occurrence_start, tz)
            # recurring-ical-events gives every occurrence a DTEND (DTSTART when it has none).
            occurrence_end = _to_utc(event.get("DTEND", event.get("DTSTART")).dt, tz)
            if occurrence_end < occurrence_start:
                report.problem(where, "it ends before it starts")
                continue
            if occurrence_end == occurrence_start:
                report.problem(
                    where, "it lasts no time (no DTEND or DURATION): a shift needs an end"
                )
                continue
            if not (occurrence_start < end and occurrence_end > start):
                continue
            rid = event.get("RECURRENCE-ID")
            key = _key(uid, _to_utc(rid.dt, tz) if recurring and rid is not None else None)
            attendees = event.get("ATTENDEE") or []
            if not isinstance(attendees, list):
                attendees = [attendees]
            found.append(
                Occurrence(
                    key=key,
                    uid=uid,
                    summary=str(event.get("SUMMARY", "")).strip(),
                    start=occurrence_start,
                    end=occurrence_end,
                    attendees=tuple(str(a) for a in attendees),
                    description=str(event.get("DESCRIPTION", "")),
                    where=where,
                )
            )
            if len(found) > MAX_OCCURRENCES:
                raise ImportRefused(
                    f"more than {MAX_OCCURRENCES} occurrences in the window: narrow it "
                    "(from=, until=)"
                )
    found.sort(key=lambda o: (o.start, o.end, o.key))
    return found
