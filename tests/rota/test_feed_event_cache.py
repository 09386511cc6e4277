"""Each event of a feed is serialized once per process and kept under everything it is made
of: a render that reads a kept event gives the very bytes a render from nothing gives, and
an event that changes in any way is serialized again."""

import dataclasses
import datetime
import zoneinfo

import icalendar
import pytest
from django.utils import timezone

from core import caches
from rota import feeds, services
from rota.feeds import Feed, FeedEvent, build_feed, feed_calendar
from rota.selectors.feeds import feed_build, feed_state
from rota.services.feeds import feed_token_get_or_create
from tests.ownership.factories import TeamFactory, UserFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)


def _event(n: int = 0, **changes) -> FeedEvent:
    start = MONDAY + datetime.timedelta(days=n)
    values = {
        "uid": f"shift-{n}@rota.example",
        "start": start,
        "end": start + datetime.timedelta(days=1),
        "summary": "On call: Payments (primary)",
        "timezone": "Europe/London",
        "description": "Rotation: Payments (person rotation, primary)\nOn duty: Alice",
        "url": "https://rota.example/teams/payments/",
        "sequence": 2,
        "stamp": MONDAY - datetime.timedelta(hours=3),
        "created": MONDAY - datetime.timedelta(days=7),
        "categories": ("On call",),
    }
    return FeedEvent(**{**values, **changes})


def _feed(*events: FeedEvent) -> Feed:
    return Feed(name="On call: Alice", timezone="Europe/London", events=list(events))


def _fresh(feed: Feed) -> bytes:
    """The feed serialized whole by icalendar, nothing kept."""
    caches.clear_all()
    return feed_calendar(feed).to_ical()


FEEDS = {
    "plain": _feed(_event(0), _event(1)),
    "busy, cancelled, located, no description": _feed(
        _event(0, busy=True),
        _event(1, status="CANCELLED", busy=True, location="Room 1", categories=()),
        _event(2, description="", url="", created=None, stamp=None, summary=""),
    ),
    "several zones": _feed(
        _event(0, timezone="America/New_York"), _event(1, timezone="Asia/Kolkata"), _event(2)
    ),
    "UTC only": Feed(name="Rota: ops", timezone="UTC", events=[_event(0, timezone="UTC")]),
    "no events": _feed(),
}


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_a_render_is_the_calendar_serialized_whole_cold_and_warm(feed):
    expected = _fresh(feed)
    assert build_feed(feed) == expected  # nothing kept yet
    assert build_feed(feed) == expected  # every event read back
    # And it is a calendar icalendar reads back with all of its events.
    assert len(icalendar.Calendar.from_ical(expected).walk("VEVENT")) == len(feed.events)


CHANGES = {
    "uid": "shift-99@rota.example",
    "start": MONDAY - datetime.timedelta(hours=1),
    "end": MONDAY + datetime.timedelta(days=3),
    "summary": "Covering Bob — Payments",
    "timezone": "America/New_York",
    "description": "Rotation: Payments\nReason: sick",
    "url": "https://rota.example/",
    "sequence": 3,
    "stamp": MONDAY,
    "created": MONDAY - datetime.timedelta(days=1),
    "categories": ("Cover",),
    "location": "Bridge",
    "status": "CANCELLED",
    "busy": True,
}


def test_every_field_of_an_event_is_covered_by_a_change_below():
    assert set(CHANGES) == {field.name for field in dataclasses.fields(FeedEvent)}


@pytest.mark.parametrize("name", CHANGES)
def test_an_event_changed_in_any_field_is_serialized_again(name):
    before = _feed(_event(0), _event(1))
    first = build_feed(before)
    after = _feed(_event(0), dataclasses.replace(_event(1), **{name: CHANGES[name]}))
    # The first event is read back, the changed one serialized anew: the whole render is what
    # icalendar gives for the changed feed, and not what it gave before.
    warm = build_feed(after)
    assert warm == _fresh(after)
    assert warm != first


def test_two_instants_that_read_alike_in_one_zone_are_kept_apart():
    # 2026-10-25 01:30 happens twice in London: 00:30 UTC (BST, fold 0) and 01:30 UTC (GMT,
    # fold 1). The times compare equal in their zone; without a stamp, DTSTAMP is the start
    # in UTC, so the two events differ: DTSTAMP:20261025T003000Z and DTSTAMP:20261025T013000Z.
    early = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=LONDON)
    late = early.replace(fold=1)
    assert early == late and early.astimezone(datetime.UTC) != late.astimezone(datetime.UTC)

    def feed(start):
        end = start + datetime.timedelta(hours=2)
        return _feed(_event(0, start=start, end=end, stamp=None, created=None))

    assert b"DTSTAMP:20261025T003000Z" in build_feed(feed(early))
    body = build_feed(feed(late))
    assert b"DTSTAMP:20261025T013000Z" in body
    assert body == _fresh(feed(late))


def test_the_kept_events_are_bounded_and_emptied_with_the_process_caches(monkeypatch):
    monkeypatch.setattr(feeds, "EVENT_CACHE_SIZE", 3)
    feed = _feed(*(_event(n) for n in range(5)))
    expected = _fresh(feed)
    assert build_feed(feed) == expected
    # Five events through a cache of three: emptied when full, so it never holds more.
    assert 0 < len(feeds._event_bytes) <= 3
    assert build_feed(feed) == expected
    caches.clear_all()
    assert len(feeds._event_bytes) == 0


@pytest.mark.django_db
def test_a_rotation_renamed_shows_in_the_next_render_of_a_warm_process():
    alice, bob = UserFactory(first_name="Alice", last_name="Martin"), UserFactory()
    start = timezone.now().date() - datetime.timedelta(days=3)
    rotation = services.rotation_create(
        name="Payments on call",
        kind="person",
        shift_length_unit="days",
        shift_length_count=1,
        handoff_time=datetime.time(9),
        timezone="Europe/London",
        start_date=start,
        team=TeamFactory(),
        participants=[alice, bob],
    )
    now = datetime.datetime.combine(start, datetime.time(0), tzinfo=datetime.UTC)
    services.rotation_generate(rotation=rotation, until=start + datetime.timedelta(8), now=now)
    token = feed_token_get_or_create(user=alice)

    def render():
        return build_feed(feed_build(state=feed_state(token=token)))

    before = render()
    assert b"SUMMARY:On call: Payments on call (primary)" in before
    services.rotation_update(rotation=rotation, name="Checkout on call")
    after = render()  # the events kept from the first render are not reused
    assert b"Payments on call" not in after
    assert b"SUMMARY:On call: Checkout on call (primary)" in after
    caches.clear_all()
    assert render() == after
