"""What calendar apps read from a feed besides its events (issue 14.6), and cover texts (13).

Calendar-level properties are the ones Apple, Google and Outlook document for subscribed
calendars: X-WR-CALNAME, X-WR-TIMEZONE and X-PUBLISHED-TTL, and RFC 7986's NAME, URL and
REFRESH-INTERVAL;VALUE=DURATION. Events carry no ORGANIZER and no ATTENDEE, so no app offers to
answer or send an invitation. The organisation is ``feed_org`` (tests/rota/conftest.py).
"""

import datetime

import icalendar
import pytest

from rota import services
from rota.services.feeds import feed_token_get_or_create, feed_token_string

pytestmark = pytest.mark.django_db

SITE = "https://rota.example.com"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.ROTA_FEED_REFRESH_MINUTES = 30


def get(client, token):
    response = client.get(f"/calendar/{feed_token_string(token)}.ics")
    assert response.status_code == 200, response.content[:300]
    return response.content


def events_by_uid(body):
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_each_kind_of_feed_names_itself_its_zone_its_page_and_its_refresh(client, feed_org):
    # The person feed is in the zone of alice's first team (Payments, Europe/Berlin) and links
    # to her rota page; the team feed is in the team's zone and links to its page; the
    # rotation feed is in the rotation's own zone (America/New_York) and links to its team.
    alice = feed_org["people"]["alice"]
    cases = [
        (feed_token_get_or_create(user=alice), "On call: Alice X", "Europe/Berlin", "/me/"),
        (
            feed_token_get_or_create(user=alice, kind="team", team=feed_org["team"]),
            "Rota: Payments",
            "Europe/Berlin",
            "/teams/payments/",
        ),
        (
            feed_token_get_or_create(user=alice, kind="rotation", rotation=feed_org["rotation"]),
            "Rota: Payments on call",
            "America/New_York",
            "/teams/payments/",
        ),
    ]
    for token, name, zone, page in cases:
        body = get(client, token)
        calendar = icalendar.Calendar.from_ical(body)
        assert str(calendar["X-WR-CALNAME"]) == name
        assert str(calendar["NAME"]) == name
        assert str(calendar["X-WR-TIMEZONE"]) == zone
        assert zone in {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
        assert str(calendar["URL"]) == f"{SITE}{page}"
        assert str(calendar["DESCRIPTION"]) == str(calendar["X-WR-CALDESC"]) != ""
        # 30 minutes, as configured: RFC 7986 wants VALUE=DURATION spelt out.
        lines = body.decode().splitlines()
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in lines
        assert "X-PUBLISHED-TTL:PT30M" in lines
        assert calendar.decoded("REFRESH-INTERVAL") == datetime.timedelta(minutes=30)
        # A published calendar, not a scheduling message: no METHOD, nobody invited.
        assert "METHOD" not in calendar
        assert b"ORGANIZER" not in body and b"ATTENDEE" not in body
        events = calendar.walk("VEVENT")
        assert events
        for event in events:
            assert "ORGANIZER" not in event and "ATTENDEE" not in event
            assert str(event["URL"]).startswith(f"{SITE}/teams/")
            assert str(event["DESCRIPTION"]).splitlines()[-1] == str(event["URL"])
            assert str(event["UID"]).endswith("@rota.example.com")


def test_events_are_categorised_and_link_to_the_team_on_duty(client, feed_org):
    shifts, covers = feed_org["shifts"], feed_org["covers"]
    token = feed_token_get_or_create(
        user=feed_org["people"]["alice"], kind="team", team=feed_org["team"]
    )
    found = events_by_uid(get(client, token))
    expected = {
        f"shift-{shifts['alice'].pk}@rota.example.com": ["On call"],
        f"shift-{shifts['support'].pk}@rota.example.com": ["Team support"],
        f"override-{covers['bob'].pk}@rota.example.com": ["Cover"],
    }
    for uid, categories in expected.items():
        assert found[uid]["CATEGORIES"].cats == categories
        assert str(found[uid]["URL"]) == f"{SITE}/teams/payments/"


def test_a_cover_says_whom_it_covers_with_the_team_and_a_link(client, feed_org):
    carol = feed_org["people"]["carol"]
    cover = feed_org["covers"]["bob"]
    uid = f"override-{cover.pk}@rota.example.com"
    link = f"{SITE}/teams/payments/"

    mine = events_by_uid(get(client, feed_token_get_or_create(user=carol)))[uid]
    assert str(mine["SUMMARY"]) == "Covering Bob X — Payments on call (team payments)"
    lines = str(mine["DESCRIPTION"]).splitlines()
    for line in (
        "Team: Payments",
        "Cover by: Carol X",
        "Covering for: Bob X",
        "Reason: Bob at the dentist",
    ):
        assert line in lines
    assert lines[-1] == link and str(mine["URL"]) == link

    # Shared feeds start with the coverer.
    for token in (
        feed_token_get_or_create(user=carol, kind="team", team=feed_org["team"]),
        feed_token_get_or_create(user=carol, kind="rotation", rotation=feed_org["rotation"]),
    ):
        shared = events_by_uid(get(client, token))[uid]
        assert str(shared["SUMMARY"]) == (
            "Carol X covering Bob X — Payments on call (team payments)"
        )


def test_a_cover_over_a_handover_names_both_people(client, feed_org):
    # Carol covers from noon on day 6 (alice's week) to noon on day 7 (bob's): both covered.
    base = feed_org["base"]
    cover = services.override_create(
        rotation=feed_org["rotation"],
        user=feed_org["people"]["carol"],
        start=base + datetime.timedelta(days=6, hours=4),
        end=base + datetime.timedelta(days=7, hours=4),
    )
    found = events_by_uid(get(client, feed_token_get_or_create(user=feed_org["people"]["carol"])))
    event = found[f"override-{cover.pk}@rota.example.com"]
    assert str(event["SUMMARY"]) == "Covering Alice X and Bob X — Payments on call (team payments)"
    assert "Covering for: Alice X, Bob X" in str(event["DESCRIPTION"]).splitlines()
