"""Leave and holidays imported from an iCalendar file or URL.

The download is kept within bounds, recurring events are expanded, and rows are matched by UID.
"""

import datetime
import hashlib
import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.core.exceptions import ValidationError
from django.db import transaction

from core.netsafety import DeadlineExceeded, UnsafeURL, safe_urlopen
from core.services import apply_fields
from core.timeutil import ONE_DAY, zone

from ..exceptions import CalendarImportError
from ..models import Unavailability
from ..selectors.people import person_zone_name
from ._common import rota_touch
from .leave import leave_covers_remove, leave_settle
from .unavailability import FIELDS, _touch_holiday_duty

FETCH_TIMEOUT_SECONDS = 10
FETCH_MAX_BYTES = 5 * 1024 * 1024
RECURRENCE_YEARS_AHEAD = 2
MAX_OCCURRENCES = 1000


@dataclass(frozen=True)
class SkippedEvent:
    """An event of an imported calendar that was not recorded, and why.

    ``line`` is the 1-based line of its ``BEGIN:VEVENT`` in the file (None when unknown),
    ``uid`` its UID ("" when it has none).
    """

    line: int | None
    uid: str
    summary: str
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: list[SkippedEvent] = field(default_factory=list)


@dataclass(frozen=True)
class _Event:
    uid: str
    start_date: datetime.date
    end_date: datetime.date
    reason: str


def fetch_calendar(url: str) -> bytes:
    """Download an iCalendar file over http(s) within FETCH_TIMEOUT_SECONDS in all, at most 5 MB.

    The deadline bounds the whole download (a server dripping its answer is cut off), so an
    import run in a web request never holds it longer. Raise CalendarImportError (on ``url``).
    """
    parts = urlsplit(url)
    scheme = "https" if parts.scheme == "webcal" else parts.scheme
    if scheme not in ("http", "https") or not parts.netloc:
        raise CalendarImportError({"url": "Give an http, https or webcal address."})
    request = urllib.request.Request(  # noqa: S310 - safe_urlopen checks scheme and host
        urlunsplit((scheme, *parts[1:])), headers={"Accept": "text/calendar"}
    )
    try:
        with safe_urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body = response.read(FETCH_MAX_BYTES + 1)
    except UnsafeURL as exc:
        raise CalendarImportError({"url": str(exc)}) from exc
    except urllib.error.HTTPError as exc:
        raise CalendarImportError(
            {"url": f"Could not fetch the calendar: the server answered {exc.code}."}
        ) from exc
    except DeadlineExceeded as exc:
        raise CalendarImportError(
            {"url": f"The calendar did not arrive within {FETCH_TIMEOUT_SECONDS} seconds."}
        ) from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # Say no more than that: the error text could describe the server's own network.
        raise CalendarImportError({"url": "Could not fetch the calendar."}) from exc
    if len(body) > FETCH_MAX_BYTES:
        raise CalendarImportError({"url": "The calendar is larger than 5 MB."})
    return body


def _calendar_of_url(url: str | None) -> str:
    """Return the identity of a calendar fetched from ``url``: the URL, webcal read as https."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    scheme = "https" if parts.scheme.lower() == "webcal" else parts.scheme.lower()
    return urlunsplit((scheme, *parts[1:]))


def _as_date(value, tz: ZoneInfo, *, end=False) -> datetime.date:
    """Return the day ``value`` falls on for whoever is away, whose zone is ``tz``.

    A date-time in UTC or with a TZID is an instant: its day is the one in ``tz`` (a 24-hour
    event 23:00Z-23:00Z is the next day in London in summer). A floating one (RFC 5545
    §3.3.5, form #1) is wall-clock time wherever the person is, so its date is taken as is.
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz)
        if end:  # an event ending at midnight does not take that day
            value -= datetime.timedelta(microseconds=1)
        return value.date()
    return value - datetime.timedelta(days=1) if end else value


def _event_lines(data: bytes) -> list[int]:
    """Return the 1-based line numbers of the ``BEGIN:VEVENT`` lines of ``data``, in order."""
    return [
        number
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1)
        if line.strip().upper() == "BEGIN:VEVENT"
    ]


def _derived_uid(start, summary: str) -> str:
    """Return a stable key for an event without a UID: a hash of its DTSTART and SUMMARY."""
    digest = hashlib.sha256(f"{start.isoformat()}\x1f{summary}".encode()).hexdigest()
    return f"no-uid-{digest[:32]}"


def _length(event, start):
    """Return the duration of ``event`` (RFC 5545 §3.6.1: a date without an end is one day)."""
    if event.get("DTEND") is not None:
        return event.get("DTEND").dt - start
    if event.get("DURATION") is not None:
        return event.get("DURATION").dt
    return datetime.timedelta(0) if isinstance(start, datetime.datetime) else ONE_DAY


def _why_not(event) -> str | None:
    """Return why ``event`` cannot be recorded as leave or a holiday (None: it can)."""
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return "cancelled (STATUS:CANCELLED)"
    if event.get("DTSTART") is None:
        return "no DTSTART: the event has no date"
    start = event.get("DTSTART").dt
    try:
        length = _length(event, start)
    except TypeError:  # a date start with a date-time end, or the reverse
        return "DTSTART and DTEND mix a date with a date-time"
    if length < datetime.timedelta(0):
        return "it ends before it starts"
    if isinstance(start, datetime.datetime) and length < ONE_DAY:
        hours = length.total_seconds() / 3600
        return (
            f"a timed event of {hours:g} h: only all-day events, or timed ones of 24 hours "
            "or more, are taken as leave or holidays"
        )
    return None


def _occurrence(event, uid: str, tz: ZoneInfo) -> _Event:
    start = event.get("DTSTART").dt
    first = _as_date(start, tz)
    last = max(_as_date(start + _length(event, start), tz, end=True), first)
    key = uid
    if event.get("RECURRENCE-ID") is not None:
        key = f"{uid}/{_as_date(event.get('RECURRENCE-ID').dt, tz).isoformat()}"
    return _Event(key[:255], first, last, str(event.get("SUMMARY", ""))[:200])


def _parse(
    data: bytes, today: datetime.date, tz: ZoneInfo
) -> tuple[list[_Event], list[SkippedEvent], str]:
    """Return the day spans of the events of ``data``, the events skipped, with reasons, and
    the calendar's ``X-WR-CALNAME`` ("" when it has none).

    Days of timed events are those in ``tz``, the zone of whoever is away (see :func:`_as_date`).

    Transparency (``TRANSP``) is ignored: it says whether an event blocks free/busy time, not
    whether its days are away, and public-holiday calendars mark every day transparent.
    Recurring events (``RRULE``, ``RDATE``, ``EXDATE``, moved occurrences) are expanded by
    ``recurring-ical-events`` from 1 January of last year to ``RECURRENCE_YEARS_AHEAD`` years
    after ``today``; each occurrence is keyed ``UID/YYYY-MM-DD`` (its original date).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise CalendarImportError({"data": f"This is not an iCalendar file: {exc}"}) from exc
    lines = _event_lines(data)
    components = calendar.walk("VEVENT")
    if len(lines) != len(components):
        lines = [None] * len(components)
    skipped: list[SkippedEvent] = []
    families: dict[str, list] = {}
    for line, event in zip(lines, components, strict=True):
        summary = str(event.get("SUMMARY", ""))[:200]
        uid = str(event.get("UID", "")).strip()
        reason = _why_not(event)
        if reason is not None:
            skipped.append(SkippedEvent(line, uid, summary, reason))
            continue
        if not uid:
            uid = _derived_uid(event.get("DTSTART").dt, summary)
        families.setdefault(uid, []).append((line, event))

    first = datetime.date(today.year - 1, 1, 1)
    horizon = today + datetime.timedelta(days=366 * RECURRENCE_YEARS_AHEAD)
    events: dict[str, _Event] = {}
    for uid, members in families.items():
        if not any(e.get("RRULE") is not None or e.get("RDATE") is not None for _, e in members):
            for _, event in members:
                occurrence = _occurrence(event, uid, tz)
                events[occurrence.uid] = occurrence
            continue
        line, master = members[0]
        try:
            occurrences = _expand([event for _, event in members], first, horizon)
        except Exception as exc:  # noqa: BLE001 - any fault in a rule skips that event alone
            reason = f"its recurrence could not be expanded: {exc}"
            skipped.append(SkippedEvent(line, uid, str(master.get("SUMMARY", ""))[:200], reason))
            continue
        for event in occurrences:
            occurrence = _occurrence(event, uid, tz)
            events[occurrence.uid] = occurrence
    skipped.sort(key=lambda event: (event.line is None, event.line or 0))
    name = str(calendar.get("X-WR-CALNAME", "")).strip()
    return list(events.values()), skipped, name


def _expand(members, first: datetime.date, horizon: datetime.date):
    """Return the occurrences of one recurring event (its components) from first to horizon."""
    series = icalendar.Calendar()
    for event in members:
        series.add_component(event)
    occurrences = recurring_ical_events.of(series).between(first, horizon + ONE_DAY)
    if len(occurrences) > MAX_OCCURRENCES:
        raise ValueError(f"more than {MAX_OCCURRENCES} occurrences before {horizon}")
    return occurrences


@transaction.atomic
def unavailability_import_ics(
    *,
    data: bytes | str | None = None,
    url: str | None = None,
    user=None,
    team=None,
    kind: str = Unavailability.Kind.LEAVE,
    prune: bool = False,
    calendar: str = "",
    by=None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import the events of an iCalendar file (or URL) as unavailability; safe to repeat.

    Each event is keyed by its UID (plus the original date for occurrences of a recurring
    event; a hash of DTSTART and SUMMARY when it has no UID), so a re-import updates changed
    events instead of duplicating them. All-day events are taken whatever their ``TRANSP``,
    and timed ones lasting 24 hours or more, on their days in the zone of whoever is away (the
    team's; a person's from their notification preferences, else their first team's); every
    other event is listed in ``ImportResult.skipped`` with its reason (see :func:`_parse`).
    Each entry remembers the calendar it came from: ``calendar`` when given, else the URL,
    else the file's ``X-WR-CALNAME``. With ``prune``, imported entries of this person or team
    from that same calendar whose events are gone from it are deleted; entries from other
    calendars stay. An event whose UID was imported before from another calendar moves to
    this one (one entry per UID and owner).

    Raises ``CalendarImportError`` (field ``data`` or ``url``) for a file that is not
    iCalendar or a URL that cannot be fetched, or (field ``calendar``) for a prune of a file
    that names no calendar; ``ValidationError`` for a bad owner or kind.
    """
    if (data is None) == (url is None):
        raise ValidationError({"data": "Give either the calendar data or its URL."})
    if (user is None) == (team is None):
        raise ValidationError({"user": "Give either a person or a team (exactly one)."})
    if kind not in Unavailability.Kind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."})
    if url is not None:
        data = fetch_calendar(url)
    if isinstance(data, str):
        data = data.encode()
    tz = zone(team.timezone if team is not None else person_zone_name(user))
    events, skipped, calendar_name = _parse(data, today or datetime.date.today(), tz)
    source = (calendar or "").strip() or _calendar_of_url(url) or calendar_name
    source = source[: Unavailability._meta.get_field("calendar").max_length]
    if prune and not source:
        raise CalendarImportError(
            {
                "calendar": "Name the calendar to prune: this file has no X-WR-CALNAME, and "
                "pruning removes only the entries imported before from the same calendar."
            }
        )

    owner = {"user": user} if user is not None else {"team": team}
    existing = {
        entry.external_uid: entry
        for entry in Unavailability.objects.filter(source=Unavailability.Source.ICS, **owner)
    }
    result = ImportResult(skipped=skipped)
    to_create, to_update, moved_from, rehomed = [], [], [], []
    for event in events:
        entry = existing.pop(event.uid, None)
        values = {
            "start_date": event.start_date,
            "end_date": event.end_date,
            "reason": event.reason,
            "kind": kind,
        }
        if entry is None:
            entry = Unavailability(
                source=Unavailability.Source.ICS,
                external_uid=event.uid,
                calendar=source,
                created_by=by,
                **owner,
            )
            apply_fields(entry, FIELDS, values)
            entry.full_clean(validate_unique=False, validate_constraints=False)
            to_create.append(entry)
        elif any(getattr(entry, name) != value for name, value in values.items()):
            entry.calendar = source
            moved_from.append(
                Unavailability(
                    team_id=entry.team_id,
                    **{name: getattr(entry, name) for name in ("start_date", "end_date", "kind")},
                )
            )
            apply_fields(entry, FIELDS, values)
            to_update.append(entry)
        else:
            result.unchanged += 1
            if entry.calendar != source:  # the same leave, now kept by this calendar
                entry.calendar = source
                rehomed.append(entry)
    Unavailability.objects.bulk_create(to_create, batch_size=500)
    Unavailability.objects.bulk_update(
        to_update, ["start_date", "end_date", "reason", "kind", "calendar"], batch_size=500
    )
    Unavailability.objects.bulk_update(rehomed, ["calendar"], batch_size=500)
    # Entries of other calendars are not this calendar's to prune.
    existing = {uid: entry for uid, entry in existing.items() if entry.calendar == source}
    if prune and existing:
        _touch_holiday_duty(*existing.values())
        for entry in existing.values():
            leave_covers_remove(unavailability=entry)
        Unavailability.objects.filter(pk__in=[e.pk for e in existing.values()]).delete()
        result.deleted = len(existing)
    _touch_holiday_duty(*moved_from, *to_create, *to_update)
    for entry in to_update:
        leave_covers_remove(unavailability=entry)
    for entry in [*to_create, *to_update]:
        leave_settle(unavailability=entry, by=by)
    result.created, result.updated = len(to_create), len(to_update)
    if team is not None and (to_create or to_update or result.deleted):
        rota_touch()  # the team's holidays or leave changed: cached on-call answers too
    return result
