"""Leave and public holidays: typed in, or imported from an iCalendar file or URL."""

import datetime
import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import icalendar
import recurring_ical_events
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.netsafety import UnsafeURL, safe_urlopen

from ..exceptions import CalendarImportError
from ..models import Unavailability
from ..timeutil import ONE_DAY
from ._common import apply_fields, rota_touch
from .leave import LeaveResult, leave_covers_remove, leave_settle

FIELDS = ("user", "team", "start_date", "end_date", "reason", "kind")
FETCH_TIMEOUT_SECONDS = 10
FETCH_MAX_BYTES = 5 * 1024 * 1024
RECURRENCE_YEARS_AHEAD = 2
MAX_OCCURRENCES = 1000


@transaction.atomic
def unavailability_create(*, by=None, now=None, **data) -> Unavailability:
    """Record leave or a public holiday of a person or a team, and act on it at once.

    Coming shifts that clash are covered for the days away or swapped whole (see
    :mod:`rota.services.leave`); what that did is on the entry returned as ``settled`` (a
    :class:`~rota.services.leave.LeaveResult`). Raise ValidationError for bad fields.
    """
    entry = Unavailability(created_by=by, source=Unavailability.Source.MANUAL)
    apply_fields(entry, FIELDS, data)
    entry.full_clean()
    entry.save()
    _touch_if_holiday(entry)
    entry.settled = leave_settle(unavailability=entry, now=now)
    return entry


@transaction.atomic
def unavailability_update(*, unavailability: Unavailability, now=None, **data) -> Unavailability:
    """Change an entry of leave or public holiday; new dates (or person) get their covers anew.

    A change of reason alone leaves the covers as they are, so nobody is told twice. What
    was done is on the entry returned as ``settled`` (a LeaveResult, empty when nothing moved).
    """
    moved = ("user_id", "team_id", "start_date", "end_date", "kind")
    before = [getattr(unavailability, name) for name in moved]
    apply_fields(unavailability, FIELDS, data)
    unavailability.full_clean()
    unavailability.save()
    _touch_if_holiday(unavailability)
    unavailability.settled = LeaveResult()
    if before != [getattr(unavailability, name) for name in moved]:
        leave_covers_remove(unavailability=unavailability)
        unavailability.settled = leave_settle(unavailability=unavailability, now=now)
    return unavailability


@transaction.atomic
def unavailability_delete(*, unavailability: Unavailability) -> None:
    """Remove an entry of leave or public holiday, and the covers made for it."""
    leave_covers_remove(unavailability=unavailability)
    unavailability.delete()
    _touch_if_holiday(unavailability)


def _touch_if_holiday(entry: Unavailability) -> None:
    # A team's public holiday switches its restricted rotations: on-call answers change.
    if entry.team_id is not None:
        rota_touch()


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
    """Download an iCalendar file over http(s), with a timeout and a size limit."""
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
    except (OSError, ValueError) as exc:
        # Say no more than that: the error text could describe the server's own network.
        raise CalendarImportError({"url": "Could not fetch the calendar."}) from exc
    if len(body) > FETCH_MAX_BYTES:
        raise CalendarImportError({"url": "The calendar is larger than 5 MB."})
    return body


def _as_date(value, *, end=False) -> datetime.date:
    if isinstance(value, datetime.datetime):
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


def _occurrence(event, uid: str) -> _Event:
    start = event.get("DTSTART").dt
    first = _as_date(start)
    last = max(_as_date(start + _length(event, start), end=True), first)
    key = uid
    if event.get("RECURRENCE-ID") is not None:
        key = f"{uid}/{_as_date(event.get('RECURRENCE-ID').dt).isoformat()}"
    return _Event(key[:255], first, last, str(event.get("SUMMARY", ""))[:200])


def _parse(data: bytes, today: datetime.date) -> tuple[list[_Event], list[SkippedEvent]]:
    """Return the day spans of the events of ``data`` and the events skipped, with reasons.

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
                occurrence = _occurrence(event, uid)
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
            occurrence = _occurrence(event, uid)
            events[occurrence.uid] = occurrence
    skipped.sort(key=lambda event: (event.line is None, event.line or 0))
    return list(events.values()), skipped


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
    by=None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import the events of an iCalendar file (or URL) as unavailability; safe to repeat.

    Each event is keyed by its UID (plus the original date for occurrences of a recurring
    event; a hash of DTSTART and SUMMARY when it has no UID), so a re-import updates changed
    events instead of duplicating them. All-day events are taken whatever their ``TRANSP``,
    and timed ones lasting 24 hours or more; every other event is listed in
    ``ImportResult.skipped`` with its reason (see :func:`_parse`). With ``prune``, imported
    entries of this person or team whose events are gone from the calendar are deleted.

    Raises ``CalendarImportError`` (field ``data`` or ``url``) for a file that is not
    iCalendar or a URL that cannot be fetched, ``ValidationError`` for a bad owner or kind.
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
    events, skipped = _parse(data, today or datetime.date.today())

    owner = {"user": user} if user is not None else {"team": team}
    existing = {
        entry.external_uid: entry
        for entry in Unavailability.objects.filter(source=Unavailability.Source.ICS, **owner)
    }
    result = ImportResult(skipped=skipped)
    to_create, to_update = [], []
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
                source=Unavailability.Source.ICS, external_uid=event.uid, created_by=by, **owner
            )
            apply_fields(entry, FIELDS, values)
            entry.full_clean(validate_unique=False, validate_constraints=False)
            to_create.append(entry)
        elif any(getattr(entry, name) != value for name, value in values.items()):
            apply_fields(entry, FIELDS, values)
            to_update.append(entry)
        else:
            result.unchanged += 1
    Unavailability.objects.bulk_create(to_create, batch_size=500)
    Unavailability.objects.bulk_update(
        to_update, ["start_date", "end_date", "reason", "kind"], batch_size=500
    )
    if prune and existing:
        for entry in existing.values():
            leave_covers_remove(unavailability=entry)
        Unavailability.objects.filter(pk__in=[e.pk for e in existing.values()]).delete()
        result.deleted = len(existing)
    for entry in to_update:
        leave_covers_remove(unavailability=entry)
    for entry in [*to_create, *to_update]:
        leave_settle(unavailability=entry)
    result.created, result.updated = len(to_create), len(to_update)
    if team is not None and (to_create or to_update or result.deleted):
        rota_touch()  # the team's holidays or leave changed: cached on-call answers too
    return result
