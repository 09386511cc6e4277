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
from dataclasses import dataclass, field

import icalendar

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


class _Values:
    """Property values encoded once per feed and shared by the events that repeat them.

    Most values of a feed repeat (status, categories, stamps of rows generated together, the
    end of one shift as the start of the next); icalendar spends most of a feed's build
    encoding values. Each is encoded by ``Event.add`` itself, so it is exactly what adding it
    would give; shared values are only read when serialized.
    """

    def __init__(self):
        self.known = {}

    def __call__(self, name: str, value):
        key = (name, value, getattr(value, "tzinfo", None))
        found = self.known.get(key)
        if found is None:
            probe = icalendar.Event()
            probe.add(name, list(value) if isinstance(value, tuple) else value)
            found = self.known[key] = probe[name.upper()]
        return found


def build_feed(feed: Feed) -> bytes:
    """Render the feed as iCalendar bytes, with a VTIMEZONE for every TZID used."""
    return feed_calendar(feed).to_ical()


def feed_calendar(feed: Feed) -> icalendar.Calendar:
    """The feed as an ``icalendar.Calendar``, with a VTIMEZONE for every TZID used."""
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
    value = _Values()
    for item in feed.events:
        zone = zoneinfo.ZoneInfo(item.timezone)
        event = icalendar.Event()
        event.add("uid", item.uid)
        stamp = _utc(item.stamp or item.created or item.start)
        event.add("dtstamp", value("dtstamp", stamp))
        if item.created:
            event.add("created", value("created", _utc(item.created)))
        event.add("last-modified", value("last-modified", stamp))
        event.add("dtstart", value("dtstart", item.start.astimezone(zone)))
        event.add("dtend", value("dtend", item.end.astimezone(zone)))
        event.add("sequence", value("sequence", item.sequence))
        event.add("summary", value("summary", item.summary))
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", value("url", item.url))
        if item.location:
            event.add("location", value("location", item.location))
        if item.categories:
            event.add("categories", value("categories", item.categories))
        event.add("status", value("status", item.status))
        # TRANSP is what free/busy lookups read (RFC 5545 3.8.2.7); Outlook reads its own
        # X-MICROSOFT-CDO-BUSYSTATUS first ([MS-OXCICAL] 2.1.3.1.1.20.9). A cancelled event
        # keeps no time busy whatever was asked.
        busy = item.busy and item.status != "CANCELLED"
        event.add("transp", value("transp", "OPAQUE" if busy else "TRANSPARENT"))
        event.add(
            "x-microsoft-cdo-busystatus",
            value("x-microsoft-cdo-busystatus", "BUSY" if busy else "FREE"),
        )
        event.add("class", value("class", "PUBLIC"))
        calendar.add_component(event)
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
    for index, name in enumerate(zones):
        vtimezone = icalendar.Timezone.from_tzinfo(
            zoneinfo.ZoneInfo(name), first_date=first_date, last_date=last_date
        )
        calendar.subcomponents.insert(index, vtimezone)
    return calendar
