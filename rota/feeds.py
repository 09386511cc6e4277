"""Build RFC 5545 calendars from plain event data: data in, bytes out, no database.

Feeds are published calendars (no METHOD, no ORGANIZER, no ATTENDEE: nothing an app could
take for an invitation to answer or send): calendar apps replace their copy on every refresh,
so a shift that leaves a feed disappears from the subscriber's calendar, and a shift that moves
keeps its UID and gets a higher SEQUENCE so apps update it in place. An event may be published
as cancelled (STATUS:CANCELLED) under a UID it had before, so that apps mark it in place.
Events leave time free (TRANSP:TRANSPARENT) unless marked busy. The calendar carries the
names, zone and refresh interval apps read: X-WR-CALNAME, X-WR-TIMEZONE and X-PUBLISHED-TTL
(Apple, Google, Outlook) and NAME, URL and REFRESH-INTERVAL (RFC 7986).
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field, fields

import icalendar
from icalendar.timezone import tzp

from core import caches

PRODID = "-//Rota//On-call rota//EN"


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: datetime.datetime  # aware
    end: datetime.datetime  # aware
    summary: str
    timezone: str  # IANA name the times are shown in
    description: str = ""
    url: str = ""
    sequence: int = 0
    stamp: datetime.datetime | None = None  # when the event last changed (DTSTAMP)
    created: datetime.datetime | None = None
    categories: tuple[str, ...] = ()
    location: str = ""
    status: str = "CONFIRMED"  # or CANCELLED: the event stays, marked, under its UID
    busy: bool = False  # blocks time in free/busy lookups (OPAQUE) or leaves it free


@dataclass(frozen=True)
class Feed:
    name: str
    timezone: str
    events: list[FeedEvent] = field(default_factory=list)
    description: str = ""
    url: str = ""
    refresh: datetime.timedelta = datetime.timedelta(hours=1)


def _duration(delta: datetime.timedelta) -> icalendar.vDuration:
    return icalendar.vDuration(delta)


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


# The icalendar type of each event property, as Component.add would infer it: looked up once,
# not once per property of every event.
_TYPES = {
    name: icalendar.Event.types_factory.for_property(name)
    for name in (
        "uid",
        "dtstamp",
        "created",
        "last-modified",
        "dtstart",
        "dtend",
        "sequence",
        "summary",
        "description",
        "url",
        "location",
        "categories",
        "status",
        "transp",
        "x-microsoft-cdo-busystatus",
        "class",
    )
}
# Component.add keeps these three in UTC whatever zone they come in (RFC 5545 3.8.7).
_UTC_PROPERTIES = ("dtstamp", "created", "last-modified")
# Written only when given.
_OPTIONAL = ("created", "description", "url", "location", "categories")


class _Values:
    """Property values encoded once per feed and shared by the events that repeat them.

    Most values of a feed repeat (status, categories, an event's DTSTAMP as its LAST-MODIFIED,
    the end of one shift as the start of the next). Each is the value ``Event.add`` would
    store: the type it infers for the property, built from the same value; properties of one
    type share it (a value does not know its property's name). Shared values are only read
    when serialized.
    """

    def __init__(self):
        self.known = {}

    def __call__(self, name: str, value):
        utc = name in _UTC_PROPERTIES
        key = (_TYPES[name], utc, value, getattr(value, "tzinfo", None))
        found = self.known.get(key)
        if found is None:
            if utc:
                value = tzp.localize_utc(value)
            elif name == "categories":
                value = list(value)
            found = self.known[key] = _TYPES[name](value)
        return found


def _event(item: FeedEvent, value: _Values) -> icalendar.Event:
    """One event's VEVENT, its values made by ``value``."""
    zone = zoneinfo.ZoneInfo(item.timezone)
    stamp = _utc(item.stamp or item.created or item.start)
    # TRANSP is what free/busy lookups read (RFC 5545 3.8.2.7); Outlook reads its own
    # X-MICROSOFT-CDO-BUSYSTATUS first ([MS-OXCICAL] 2.1.3.1.1.20.9). A cancelled event
    # keeps no time busy whatever was asked.
    busy = item.busy and item.status != "CANCELLED"
    properties = [
        ("uid", item.uid),
        ("dtstamp", stamp),
        ("created", item.created and _utc(item.created)),
        ("last-modified", stamp),
        ("dtstart", item.start.astimezone(zone)),
        ("dtend", item.end.astimezone(zone)),
        ("sequence", item.sequence),
        ("summary", item.summary),
        ("description", item.description),
        ("url", item.url),
        ("location", item.location),
        ("categories", item.categories),
        ("status", item.status),
        ("transp", "OPAQUE" if busy else "TRANSPARENT"),
        ("x-microsoft-cdo-busystatus", "BUSY" if busy else "FREE"),
        ("class", "PUBLIC"),
    ]
    event = icalendar.Event()
    for name, data in properties:
        # Empty optional values are left out; SEQUENCE 0 and an empty SUMMARY are written.
        if data or name not in _OPTIONAL:
            event[name] = value(name, data)
    return event


def build_feed(feed: Feed) -> bytes:
    """Render the feed as iCalendar bytes: exactly ``feed_calendar(feed).to_ical()``.

    Each event is serialized by icalendar once per process and kept under everything that
    makes it up (:func:`_event_key`), so an unchanged event costs a lookup on the next render.
    """
    head = _shell(feed).to_ical()
    # A calendar's to_ical() is its lines in order, and an event's to_ical() its own lines:
    # the calendar is its head (properties and VTIMEZONEs) up to END:VCALENDAR, each event's
    # bytes, then that last line.
    parts = [head[: -len(_END)]]
    value = _Values()
    for item in feed.events:
        key = _event_key(item)
        body = _event_bytes.get(key)
        if body is None:
            body = _event(item, value).to_ical()
            if len(_event_bytes) >= EVENT_CACHE_SIZE:
                _event_bytes.clear()  # simplest bound; renders refill what they read
            _event_bytes[key] = body
        parts.append(body)
    parts.append(_END)
    return b"".join(parts)


def feed_calendar(feed: Feed) -> icalendar.Calendar:
    """The feed as an ``icalendar.Calendar``, with a VTIMEZONE for every TZID used."""
    calendar = _shell(feed)
    value = _Values()
    for item in feed.events:
        calendar.add_component(_event(item, value))
    return calendar


def _shell(feed: Feed) -> icalendar.Calendar:
    """The feed's calendar without its events: its properties and a VTIMEZONE per TZID."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", feed.name)
    calendar.add("name", feed.name)
    calendar.add("x-wr-timezone", feed.timezone)
    if feed.description:
        calendar.add("x-wr-caldesc", feed.description)
        calendar.add("description", feed.description)
    if feed.url:
        calendar.add("url", feed.url)
    # RFC 7986 REFRESH-INTERVAL for standard clients, X-PUBLISHED-TTL for Outlook.
    calendar.add("refresh-interval", _duration(feed.refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", _duration(feed.refresh))

    first = last = None
    for item in feed.events:
        first = min(first, item.start) if first else item.start
        last = max(last, item.end) if last else item.end
    if first is None:
        today = datetime.date.today()
        first_date, last_date = today, today + datetime.timedelta(days=366)
    else:
        first_date = first.date() - datetime.timedelta(days=1)
        last_date = last.date() + datetime.timedelta(days=1)
    # One VTIMEZONE per TZID, and one for the calendar's own zone even when it has no events,
    # so that clients show times in it. UTC times are written with Z and need none.
    zones = sorted({feed.timezone, *(item.timezone for item in feed.events)} - {"UTC"})
    for name in zones:
        calendar.add_component(
            icalendar.Timezone.from_tzinfo(
                zoneinfo.ZoneInfo(name), first_date=first_date, last_date=last_date
            )
        )
    return calendar


# --- Serialized events, per process -------------------------------------------------------

_END = b"END:VCALENDAR\r\n"
# Events kept serialized: a person's feed over two years is ~400 events of ~700 bytes.
EVENT_CACHE_SIZE = 20_000
_FIELDS = tuple(f.name for f in fields(FeedEvent))
_event_bytes: dict[tuple, bytes] = {}
caches.register("rota.feeds.event_bytes", _event_bytes.clear)


def _event_key(item: FeedEvent) -> tuple:
    """Everything an event's bytes are made of: every field, instants in UTC.

    Rendering reads only the instant of each time (the zone shown is ``timezone``), and two
    times of one zone that differ only in ``fold`` (the repeated hour when clocks go back)
    compare equal though they are different instants: UTC tells them apart.
    """
    return tuple(
        _utc(data) if isinstance(data, datetime.datetime) else data
        for data in map(item.__getattribute__, _FIELDS)
    )
