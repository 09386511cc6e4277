"""Leave and public holidays: typed in, or imported from an iCalendar file or URL."""

import datetime
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import icalendar
from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.netsafety import UnsafeURL, safe_urlopen

from ..exceptions import CalendarImportError
from ..models import Unavailability
from ._common import apply_fields
from .leave import leave_covers_remove, leave_settle

FIELDS = ("user", "team", "start_date", "end_date", "reason", "kind")
FETCH_TIMEOUT_SECONDS = 10
FETCH_MAX_BYTES = 5 * 1024 * 1024
RECURRENCE_YEARS_AHEAD = 2
MAX_OCCURRENCES = 1000


@transaction.atomic
def unavailability_create(*, by=None, now=None, **data) -> Unavailability:
    """Record leave or a public holiday of a person or a team, and act on it at once.

    Coming shifts that clash are covered for the days away or swapped whole (see
    :mod:`rota.services.leave`); raise ValidationError for bad fields.
    """
    entry = Unavailability(created_by=by, source=Unavailability.Source.MANUAL)
    apply_fields(entry, FIELDS, data)
    entry.full_clean()
    entry.save()
    leave_settle(unavailability=entry, now=now)
    return entry


@transaction.atomic
def unavailability_update(*, unavailability: Unavailability, now=None, **data) -> Unavailability:
    """Change an entry of leave or public holiday; new dates (or person) get their covers anew.

    A change of reason alone leaves the covers as they are, so nobody is told twice.
    """
    moved = ("user_id", "team_id", "start_date", "end_date", "kind")
    before = [getattr(unavailability, name) for name in moved]
    apply_fields(unavailability, FIELDS, data)
    unavailability.full_clean()
    unavailability.save()
    if before != [getattr(unavailability, name) for name in moved]:
        leave_covers_remove(unavailability=unavailability)
        leave_settle(unavailability=unavailability, now=now)
    return unavailability


@transaction.atomic
def unavailability_delete(*, unavailability: Unavailability) -> None:
    """Remove an entry of leave or public holiday, and the covers made for it."""
    leave_covers_remove(unavailability=unavailability)
    unavailability.delete()


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0


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


def _parse(data: bytes, today: datetime.date) -> list[_Event]:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise CalendarImportError({"data": f"This is not an iCalendar file: {exc}"}) from exc
    events: dict[str, _Event] = {}
    horizon = today + datetime.timedelta(days=366 * RECURRENCE_YEARS_AHEAD)
    for event in calendar.walk("VEVENT"):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        uid = str(event.get("UID", "")).strip()
        start = event.get("DTSTART")
        if not uid or start is None:
            continue
        start = start.dt
        if event.get("DTEND") is not None:
            end = event.get("DTEND").dt
        elif event.get("DURATION") is not None:
            end = start + event.get("DURATION").dt
        else:
            end = start if isinstance(start, datetime.datetime) else start + datetime.timedelta(1)
        length = end - start
        reason = str(event.get("SUMMARY", ""))[:200]
        if event.get("RECURRENCE-ID") is not None:
            recurrence = _as_date(event.get("RECURRENCE-ID").dt)
            occurrences = [(f"{uid}/{recurrence.isoformat()}", start)]
        elif event.get("RRULE") is not None:
            occurrences = [
                (f"{uid}/{_as_date(when).isoformat()}", when)
                for when in _expand(event, start, horizon)
            ]
        else:
            occurrences = [(uid, start)]
        for key, when in occurrences:
            first = _as_date(when)
            last = max(_as_date(when + length, end=True), first)
            events[key] = _Event(key[:255], first, last, reason)
    return list(events.values())


def _expand(event, start, horizon: datetime.date):
    """Yield the start of each occurrence of a recurring event up to ``horizon``."""
    as_datetime = isinstance(start, datetime.datetime)
    anchor = start if as_datetime else datetime.datetime.combine(start, datetime.time())
    excluded = set()
    exdates = event.get("EXDATE")
    for group in exdates if isinstance(exdates, list) else [exdates] if exdates else []:
        excluded |= {_as_date(item.dt) for item in group.dts}
    rule = rrulestr(event.get("RRULE").to_ical().decode(), dtstart=anchor, ignoretz=False)
    for count, when in enumerate(rule):
        if count >= MAX_OCCURRENCES or when.date() > horizon:
            break
        if when.date() in excluded:
            continue
        yield when if as_datetime else when.date()


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

    Each event is keyed by its UID (plus the date for occurrences of a recurring event), so a
    re-import updates changed events instead of duplicating them. With ``prune``, imported
    entries of this person or team whose events are gone from the calendar are deleted.
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
    events = _parse(data, today or datetime.date.today())

    owner = {"user": user} if user is not None else {"team": team}
    existing = {
        entry.external_uid: entry
        for entry in Unavailability.objects.filter(source=Unavailability.Source.ICS, **owner)
    }
    result = ImportResult()
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
    return result
