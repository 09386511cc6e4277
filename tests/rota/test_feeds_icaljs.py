"""Feeds read the same in ical.js as in icalendar: events, zones, UIDs, SEQUENCE (issue 14).

ical.js is Mozilla's iCalendar library, the one Thunderbird and many web calendars embed; the
feeds are written with Python's icalendar, so reading them back with icalendar alone would not
catch a feed that only its writer understands. ``tests/js/parse-feed.mjs`` reads a feed with
ical.js under Node.js, registering the feed's VTIMEZONEs with ``ICAL.TimezoneService`` as apps
do, and prints what it sees as JSON. A time ical.js cannot place in a zone the feed defines
comes out "floating" (and is converted to UTC as if it were UTC), so it would not compare equal.

The organisation is ``feed_org`` (tests/rota/conftest.py) plus two shifts that cross the end of
summer time, 25 October 2026 in Europe (01:00 UTC) and 1 November 2026 in the US (06:00 UTC).
"""

import datetime
import json
import re
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import icalendar
import pytest

from rota.services.feeds import feed_token_get_or_create, feed_token_string
from tests.rota.factories import ShiftFactory

pytestmark = pytest.mark.django_db

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "parse-feed.mjs"
INSTALL = "run `npm ci --prefix tests/js` from the repository root (or `make test`)"
UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
HOST = "rota.example.com"
SITE = f"https://{HOST}"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.ROTA_FEED_REFRESH_MINUTES = 30
    # The October 2026 shifts below must stay in the feeds' past window whenever this runs.
    settings.ROTA_FEED_PAST_DAYS = 3650


def find_node() -> str:
    """Return the path of node; fail the test (never skip it) when node or ical.js is missing."""
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js (node, v20+) is not on PATH: the ical.js feed tests need it.")
    package = JS_DIR / "node_modules" / "ical.js" / "package.json"
    if not package.exists():
        pytest.fail(f"ical.js is not installed in tests/js/node_modules: {INSTALL}.")
    lock = json.loads((JS_DIR / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/ical.js"]["version"]
    installed = json.loads(package.read_text())["version"]
    if installed != pinned:
        pytest.fail(f"tests/js has ical.js {installed}, the lock pins {pinned}: {INSTALL}.")
    return path


def icaljs(node, body: bytes) -> dict:
    """Return what ical.js reads from a feed (shape: see tests/js/parse-feed.mjs)."""
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [node, str(SCRIPT)], input=body, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def by_icaljs(reading: dict) -> dict:
    """{UID: (summary, status, TRANSP, SEQUENCE, start, end)} of ical.js's reading."""
    return {
        e["uid"]: (
            e["summary"],
            e["status"],
            e["transparency"],
            e["sequence"],
            (e["start"]["utc"], e["start"]["local"], e["start"]["tzid"]),
            (e["end"]["utc"], e["end"]["local"], e["end"]["tzid"]),
        )
        for e in reading["events"]
    }


def _icalendar_time(event, name):
    value = event.decoded(name)
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        value.replace(tzinfo=None).isoformat(),
        event[name].params.get("TZID"),
    )


def by_icalendar(calendar) -> dict:
    """The same shape as :func:`by_icaljs`, read with icalendar."""
    return {
        str(e["UID"]): (
            str(e["SUMMARY"]),
            str(e["STATUS"]),
            str(e["TRANSP"]),
            int(e["SEQUENCE"]),
            _icalendar_time(e, "DTSTART"),
            _icalendar_time(e, "DTEND"),
        )
        for e in calendar.walk("VEVENT")
    }


def at(value: datetime.datetime, zone: str):
    """(UTC, local wall time, TZID) of an instant shown in a zone."""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        local.replace(tzinfo=None).isoformat(),
        zone,
    )


def get(client, token, query=""):
    response = client.get(f"/calendar/{feed_token_string(token)}.ics{query}")
    assert response.status_code == 200, response.content[:300]
    return response.content


NY, LONDON = "America/New_York", "Europe/London"

# Payments on support from Monday 19 October 2026, 09:00 in London, for a week: 09:00 BST is
# 08:00 UTC; summer time ends on Sunday 25 October at 01:00 UTC, so the handoff on Monday 26
# at 09:00 GMT is 09:00 UTC, a week and an hour later.
SUPPORT_DST = (
    ("2026-10-19T08:00:00Z", "2026-10-19T09:00:00", LONDON),
    ("2026-10-26T09:00:00Z", "2026-10-26T09:00:00", LONDON),
)
# Bob on call from Monday 26 October 2026, 09:00 in New York: 09:00 EDT (UTC-4) is 13:00 UTC;
# US summer time ends on Sunday 1 November at 06:00 UTC, so Monday 2 November 09:00 EST
# (UTC-5) is 14:00 UTC.
BOB_DST = (
    ("2026-10-26T13:00:00Z", "2026-10-26T09:00:00", NY),
    ("2026-11-02T14:00:00Z", "2026-11-02T09:00:00", NY),
)


@pytest.fixture
def dst_org(feed_org):
    feed_org["dst_support"] = ShiftFactory(
        rotation=feed_org["support"],
        user=None,
        team=feed_org["team"],
        start=datetime.datetime(2026, 10, 19, 8, tzinfo=UTC),
        end=datetime.datetime(2026, 10, 26, 9, tzinfo=UTC),
    )
    feed_org["dst_bob"] = ShiftFactory(
        rotation=feed_org["rotation"],
        user=feed_org["people"]["bob"],
        start=datetime.datetime(2026, 10, 26, 13, tzinfo=UTC),
        end=datetime.datetime(2026, 11, 2, 14, tzinfo=UTC),
    )
    return feed_org


def expected_events(org):
    """What each feed shows, worked out from the organisation by hand.

    From ``base`` (08:00 UTC three days ago): alice's week (0-7) in New York time; bob's week
    (7-14) cut by carol's one-day cover on day 8 into shift-<bob> (7-8) and shift-<bob>-2
    (9-14), both at bob's SEQUENCE 1 (the cover raised it); alice's later week (14-21) covered
    in full by carol, so cancelled under its UID at SEQUENCE 1, and carol's cover of it; the
    Payments support fortnight (0-14) in London time. Nothing else was edited: SEQUENCE 0.
    """
    base, s, c = org["base"], org["shifts"], org["covers"]

    def span(first, last, zone):
        return at(base + first * DAY, zone), at(base + last * DAY, zone)

    def uid(name):
        return f"{name}@{HOST}"

    return {
        "dst_support": (uid(f"shift-{org['dst_support'].pk}"), 0, *SUPPORT_DST),
        "dst_bob": (uid(f"shift-{org['dst_bob'].pk}"), 0, *BOB_DST),
        "alice": (uid(f"shift-{s['alice'].pk}"), 0, *span(0, 7, NY)),
        "support": (uid(f"shift-{s['support'].pk}"), 0, *span(0, 14, LONDON)),
        "bob": (uid(f"shift-{s['bob'].pk}"), 1, *span(7, 8, NY)),
        "bob-cover": (uid(f"override-{c['bob'].pk}"), 0, *span(8, 9, NY)),
        "bob-2": (uid(f"shift-{s['bob'].pk}-2"), 1, *span(9, 14, NY)),
        "alice-later-cover": (uid(f"override-{c['alice-later'].pk}"), 0, *span(14, 21, NY)),
        "alice-later": (uid(f"shift-{s['alice-later'].pk}"), 1, *span(14, 21, NY)),
    }


def event(known, key, summary, status="CONFIRMED", transp="TRANSPARENT"):
    uid, sequence, start, end = known[key]
    return uid, (summary, status, transp, sequence, start, end)


def test_icaljs_reads_person_team_and_rotation_feeds_as_icalendar_does(client, dst_org):
    node = find_node()
    alice = dst_org["people"]["alice"]
    known = expected_events(dst_org)
    support, person = "Payments on support", "On call: Payments on call (primary)"
    bob, alice_x = "Bob X on call (primary)", "Alice X on call (primary)"
    cases = [
        # Alice's own feed, asking for busy: her week and her team's support shifts block her
        # time; her covered week is cancelled and stays free. Bob's weeks are not hers.
        (
            feed_token_get_or_create(user=alice),
            "?busy=1",
            "On call: Alice X",
            "Europe/Berlin",  # her first team's zone
            ["America/New_York", "Europe/Berlin", "Europe/London"],
            dict(
                [
                    event(known, "dst_support", f"[Team support] {support}", transp="OPAQUE"),
                    event(known, "alice", person, transp="OPAQUE"),
                    event(known, "support", f"[Team support] {support}", transp="OPAQUE"),
                    event(known, "alice-later", f"Covered: {person}", "CANCELLED"),
                ]
            ),
        ),
        # The team feed: both rotations of Payments, every holder, all free.
        (
            feed_token_get_or_create(user=alice, kind="team", team=dst_org["team"]),
            "",
            "Rota: Payments",
            "Europe/Berlin",
            ["America/New_York", "Europe/Berlin", "Europe/London"],
            dict(
                [
                    event(known, "dst_support", support),
                    event(known, "dst_bob", bob),
                    event(known, "alice", alice_x),
                    event(known, "support", support),
                    event(known, "bob", bob),
                    event(
                        known,
                        "bob-cover",
                        "Carol X covering Bob X — Payments on call (team payments)",
                    ),
                    event(known, "bob-2", bob),
                    event(
                        known,
                        "alice-later-cover",
                        "Carol X covering Alice X — Payments on call (team payments)",
                    ),
                    event(known, "alice-later", f"Covered: {alice_x}", "CANCELLED"),
                ]
            ),
        ),
        # The rotation feed: Payments on call only, in its own zone, the only VTIMEZONE.
        (
            feed_token_get_or_create(user=alice, kind="rotation", rotation=dst_org["rotation"]),
            "",
            "Rota: Payments on call",
            NY,
            [NY],
            dict(
                [
                    event(known, "dst_bob", bob),
                    event(known, "alice", alice_x),
                    event(known, "bob", bob),
                    event(
                        known,
                        "bob-cover",
                        "Carol X covering Bob X — Payments on call (team payments)",
                    ),
                    event(known, "bob-2", bob),
                    event(
                        known,
                        "alice-later-cover",
                        "Carol X covering Alice X — Payments on call (team payments)",
                    ),
                    event(known, "alice-later", f"Covered: {alice_x}", "CANCELLED"),
                ]
            ),
        ),
    ]
    for token, query, name, zone, zones, events in cases:
        body = get(client, token, query)
        calendar = icalendar.Calendar.from_ical(body)
        reading = icaljs(node, body)

        js_events, py_events = by_icaljs(reading), by_icalendar(calendar)
        assert js_events == events, name
        assert py_events == events, name

        assert reading["timezones"] == zones, name
        assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == zones, name
        props = reading["calendar"]
        assert "method" not in props and "METHOD" not in calendar, name
        assert props["x-wr-timezone"]["value"] == str(calendar["X-WR-TIMEZONE"]) == zone
        assert props["x-wr-calname"]["value"] == str(calendar["X-WR-CALNAME"]) == name
        assert props["name"]["value"] == str(calendar["NAME"]) == name
        # 30 minutes, read by ical.js as a duration because of VALUE=DURATION (RFC 7986).
        assert props["refresh-interval"] == {"value": "PT30M", "type": "duration"}
        assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT30M"
        assert props["x-published-ttl"]["value"] == "PT30M"
        assert props["url"]["value"] == str(calendar["URL"])
        assert props["url"]["value"].startswith(f"{SITE}/")


def test_a_feed_without_its_vtimezones_would_not_read_the_same_in_icaljs(client, dst_org):
    node = find_node()
    # Guards the check above: with the zone definitions cut out, ical.js cannot place
    # DTSTART;TZID=America/New_York (neither the file nor ICAL.TimezoneService knows it) and
    # falls back to floating time, so the instants move and the comparison above would fail.
    alice = dst_org["people"]["alice"]
    token = feed_token_get_or_create(user=alice, kind="rotation", rotation=dst_org["rotation"])
    body = get(client, token)
    stripped = re.sub(rb"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", b"", body, flags=re.S)
    assert b"VTIMEZONE" not in stripped and b"TZID=America/New_York" in stripped

    uid = f"shift-{dst_org['dst_bob'].pk}@{HOST}"
    seen = by_icaljs(icaljs(node, body))[uid]
    assert seen[4] == BOB_DST[0]
    blind = by_icaljs(icaljs(node, stripped))[uid]
    # ical.js converts floating 09:00 to UTC as if it were UTC: 09:00Z, not 13:00Z.
    assert blind[4] == ("2026-10-26T09:00:00Z", "2026-10-26T09:00:00", "floating")
