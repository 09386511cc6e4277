import datetime
import zoneinfo

import icalendar
import pytest
from django.utils import timezone

from ownership.models import CatalogVersion, Team
from rota import services
from rota.feeds import build_feed
from rota.models import FeedToken, Rotation, RotaVersion, Shift
from rota.selectors.feeds import feed_build, feed_state
from rota.services.feeds import (
    feed_token_get_or_create,
    feed_token_regenerate,
    feed_token_string,
)
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import SprintCalendarFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _weekly(users, *, start, tz="Europe/London", team=None, name="Payments on call"):
    rotation = services.rotation_create(
        name=name,
        kind="person",
        shift_length_unit="weeks",
        shift_length_count=1,
        handoff_time=datetime.time(9, 0),
        timezone=tz,
        start_date=start,
        team=team or TeamFactory(),
        participants=users,
    )
    return rotation


def _generate(rotation, *, start, days):
    now = datetime.datetime.combine(start, datetime.time(0), tzinfo=datetime.UTC)
    services.rotation_generate(rotation=rotation, until=start + datetime.timedelta(days), now=now)


def _url(token):
    return f"/calendar/{feed_token_string(token)}.ics"


def _parse(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def _events(calendar):
    return list(calendar.walk("VEVENT"))


@pytest.fixture
def recent():
    """A weekly rotation of two people, with shifts from two weeks ago to half a year ahead."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    start = timezone.now().date() - datetime.timedelta(days=14)
    rotation = _weekly([alice, bob], start=start)
    _generate(rotation, start=start, days=180)
    return rotation, alice, bob


def test_person_feed_is_valid_icalendar_with_the_required_fields(client, recent):
    rotation, alice, bob = recent
    calendar = _parse(client.get(_url(feed_token_get_or_create(user=alice))))

    assert calendar["VERSION"] == "2.0"
    assert "Rota" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]).startswith("On call:")
    assert "X-WR-TIMEZONE" in calendar
    assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H"
    assert "X-PUBLISHED-TTL" in calendar
    events = _events(calendar)
    mine = Shift.objects.filter(
        rotation=rotation, user=alice, end__gt=timezone.now() - datetime.timedelta(days=90)
    )
    assert len(events) == mine.count() > 5
    tzids = {str(e["DTSTART"].params.get("TZID")) for e in events}
    declared = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert tzids <= declared
    for event in events:
        assert "DTSTAMP" in event and "UID" in event and "SEQUENCE" in event
        assert "ATTENDEE" not in event
        assert str(event["SUMMARY"]).startswith("On call: Payments on call")


def test_handoff_partner_named_in_own_feed_with_email_but_not_in_rotation_feed(client, recent):
    rotation, alice, bob = recent
    own = _events(_parse(client.get(_url(feed_token_get_or_create(user=alice)))))
    assert any(
        "Hands over to:" in str(e["DESCRIPTION"]) and bob.email in str(e["DESCRIPTION"])
        for e in own
    )

    rotation_token = feed_token_get_or_create(user=alice, kind="rotation", rotation=rotation)
    shared = _parse(client.get(_url(rotation_token)))
    assert all(bob.email not in str(e["DESCRIPTION"]) for e in _events(shared))


def test_uids_are_stable_across_regeneration_and_sequence_rises_on_a_move(client, recent):
    rotation, alice, bob = recent
    token = feed_token_get_or_create(user=alice)
    before = {str(e["UID"]): e for e in _events(_parse(client.get(_url(token))))}

    services.rotation_regenerate(rotation=rotation)
    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("start").first()
    services.shift_update(shift=shift, start=shift.start + datetime.timedelta(minutes=30))

    after = {str(e["UID"]): e for e in _events(_parse(client.get(_url(token))))}
    assert before.keys() <= after.keys()  # regeneration may extend, never renames
    uid = next(u for u in after if u.startswith(f"shift-{shift.pk}@"))
    assert after[uid]["SEQUENCE"] > before[uid]["SEQUENCE"]
    assert after[uid].decoded("DTSTART") == before[uid].decoded("DTSTART") + datetime.timedelta(
        minutes=30
    )


def test_a_shift_handed_to_someone_else_moves_between_feeds_with_its_uid(client, recent):
    rotation, alice, bob = recent
    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("start").first()
    services.shift_update(shift=shift, user=bob)

    alice_uids = {
        str(e["UID"])
        for e in _events(_parse(client.get(_url(feed_token_get_or_create(user=alice)))))
    }
    bob_events = _events(_parse(client.get(_url(feed_token_get_or_create(user=bob)))))
    uid = f"shift-{shift.pk}@"
    assert not any(u.startswith(uid) for u in alice_uids)
    moved = [e for e in bob_events if str(e["UID"]).startswith(uid)]
    assert len(moved) == 1 and moved[0]["SEQUENCE"] >= 1


@pytest.mark.parametrize(
    ("tz", "winter", "summer"),
    [
        ("Europe/London", datetime.date(2026, 3, 16), datetime.date(2026, 3, 30)),
        ("America/New_York", datetime.date(2026, 3, 2), datetime.date(2026, 3, 16)),
        ("Australia/Sydney", datetime.date(2026, 3, 23), datetime.date(2026, 4, 13)),
    ],
)
def test_local_handoff_times_survive_dst_in_the_feed(tz, winter, summer):
    users = [UserFactory(), UserFactory()]
    rotation = _weekly(users, start=winter, tz=tz)
    _generate(rotation, start=winter, days=35)
    token = feed_token_get_or_create(user=users[0], kind="rotation", rotation=rotation)
    now = datetime.datetime.combine(winter, datetime.time(12), tzinfo=datetime.UTC)
    body = build_feed(feed_build(state=feed_state(token=token, now=now)))
    calendar = icalendar.Calendar.from_ical(body)

    starts = sorted(e.decoded("DTSTART") for e in _events(calendar))
    assert len(starts) >= 5
    assert {s.astimezone(zoneinfo.ZoneInfo(tz)).time() for s in starts} == {datetime.time(9)}
    offsets = {s.utcoffset() for s in starts}
    assert len(offsets) == 2  # both sides of the change are in the feed
    for event in _events(calendar):
        assert str(event["DTSTART"].params["TZID"]) == tz
    # The VTIMEZONE carries both offsets, so apps that ignore TZID names still get it right.
    vtz = next(t for t in calendar.walk("VTIMEZONE") if str(t["TZID"]) == tz)
    assert len(vtz.subcomponents) >= 2


def test_empty_feed_is_still_valid(client):
    user = UserFactory()
    MembershipFactory(user=user, team=TeamFactory(timezone="Asia/Kolkata"))
    calendar = _parse(client.get(_url(feed_token_get_or_create(user=user))))
    assert _events(calendar) == []
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Kolkata"
    assert [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")] == ["Asia/Kolkata"]


def test_team_support_shift_of_several_sprints_shows_on_each_members_feed(client):
    calendar_ = SprintCalendarFactory(
        start_date=timezone.now().date() - datetime.timedelta(days=3), length_days=14
    )
    payments, search = TeamFactory(name="Payments"), TeamFactory(name="Search")
    members = [MembershipFactory(team=payments).user for _ in range(3)]
    rotation = services.rotation_create(
        name="Support",
        kind="team",
        shift_length_unit="sprints",
        shift_length_count=2,
        handoff_time=datetime.time(9),
        timezone="Europe/London",
        start_date=calendar_.start_date,
        sprint_calendar=calendar_,
        participants=[payments, search],
    )
    _generate(rotation, start=calendar_.start_date, days=120)
    team_shift = Shift.objects.filter(rotation=rotation, team=payments).order_by("start").first()
    assert team_shift.end - team_shift.start >= datetime.timedelta(days=27)

    for member in members:
        events = _events(_parse(client.get(_url(feed_token_get_or_create(user=member)))))
        support = [e for e in events if str(e["UID"]).startswith(f"shift-{team_shift.pk}@")]
        assert len(support) == 1
        assert str(support[0]["SUMMARY"]) == "[Team support] Payments on support"
        assert "Team support" in support[0]["CATEGORIES"].cats


def test_another_persons_token_gives_their_feed_not_yours(client, recent):
    rotation, alice, bob = recent
    bob_feed = _parse(client.get(_url(feed_token_get_or_create(user=bob))))
    assert bob.username in str(bob_feed["X-WR-CALNAME"]) or "On call" in str(
        bob_feed["X-WR-CALNAME"]
    )
    alice_shift_uids = {
        f"shift-{pk}@" for pk in Shift.objects.filter(user=alice).values_list("pk", flat=True)
    }
    assert not any(
        str(e["UID"]).split("testserver")[0] in alice_shift_uids for e in _events(bob_feed)
    )
    for event in _events(bob_feed):
        pk = int(str(event["UID"]).split("@")[0].split("-")[1])
        assert Shift.objects.get(pk=pk).user == bob


def test_forged_or_unknown_tokens_are_404(client, recent):
    rotation, alice, bob = recent
    real = feed_token_string(feed_token_get_or_create(user=alice))
    forged = real[:32] + ("0" if real[32] != "0" else "1") + real[33:]
    assert client.get(f"/calendar/{forged}.ics").status_code == 404
    assert client.get(f"/calendar/{'a' * 64}.ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


def test_regenerated_token_kills_the_old_url_at_once(client, recent):
    rotation, alice, bob = recent
    token = feed_token_get_or_create(user=alice)
    old = _url(token)
    assert client.get(old).status_code == 200
    feed_token_regenerate(token=token)
    assert client.get(old).status_code == 404
    assert client.get(_url(token)).status_code == 200


def test_deactivated_users_feed_is_gone(client, recent):
    rotation, alice, bob = recent
    url = _url(feed_token_get_or_create(user=alice))
    alice.is_active = False
    alice.save()
    assert client.get(url).status_code == 404


def test_token_check_uses_a_constant_time_compare(client, recent, monkeypatch):
    import rota.services.feeds as feeds

    calls = []
    real = feeds.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(feeds.hmac, "compare_digest", spy)
    rotation, alice, bob = recent
    client.get(_url(feed_token_get_or_create(user=alice)))
    assert calls


def test_token_has_at_least_128_bits_of_randomness_and_only_half_is_stored(recent):
    rotation, alice, bob = recent
    token = feed_token_get_or_create(user=alice)
    url_secret = feed_token_string(token)
    assert len(token.key) == 32 and int(token.key, 16) >= 0  # 128 random bits
    stored = list(FeedToken.objects.values_list("key", flat=True))
    assert url_secret not in stored
    assert url_secret[32:] not in "".join(stored)


def _settle_an_hour_ago():
    """Date every shift and rotation write an hour back, so that Last-Modified is final."""
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Shift.objects.update(updated_at=an_hour_ago)
    Rotation.objects.update(updated_at=an_hour_ago)
    Team.objects.update(updated_at=an_hour_ago)
    RotaVersion.objects.update(changed_at=an_hour_ago)
    CatalogVersion.objects.update(changed_at=an_hour_ago)


def test_304_when_unchanged_and_200_after_a_change(client, recent):
    rotation, alice, bob = recent
    _settle_an_hour_ago()
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304

    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("start").first()
    services.shift_update(shift=shift, note="moved")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_removed_shift_is_not_answered_304_to_if_modified_since(client, recent, monkeypatch):
    rotation, alice, bob = recent
    _settle_an_hour_ago()
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("-start").first()
    shift_id = shift.pk
    services.shift_delete(shift=shift)
    a_second_later = timezone.now() + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: a_second_later)
    response = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert response.status_code == 200
    assert f"shift-{shift_id}@".encode() not in response.content


@pytest.mark.parametrize("weeks", [4, 60])
def test_feed_query_count_does_not_grow_with_shifts(client, django_assert_num_queries, weeks):
    alice, bob = UserFactory(), UserFactory()
    MembershipFactory(user=alice)
    start = timezone.now().date() - datetime.timedelta(days=7)
    rotation = _weekly([alice, bob], start=start)
    _generate(rotation, start=start, days=weeks * 7)
    url = _url(feed_token_get_or_create(user=alice))
    # token with the version tags, memberships, two fingerprints, the last removal, the
    # versions' change times, then the shifts and overrides (also what the final schedule is
    # made of) and their rotations, teams and people
    with django_assert_num_queries(11):
        assert client.get(url).status_code == 200
    # Unchanged since: the token with the version tags only, for a 304 or the cached body.
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_feed_needs_no_login_session_or_csrf(recent):
    from django.test import Client

    rotation, alice, bob = recent
    strict = Client(enforce_csrf_checks=True)
    calendar = _parse(strict.get(_url(feed_token_get_or_create(user=alice))))
    # The feed is alice's: every event starts a shift of hers, none of bob's alternate weeks.
    starts = {event.decoded("DTSTART") for event in calendar.walk("VEVENT")}
    alices = set(Shift.objects.filter(user=alice).values_list("start", flat=True))
    assert starts and starts <= alices, starts - alices


def test_feed_tokens_never_reach_the_logs(client, recent):
    import io
    import logging

    from portal.logging import MaskUrlSecrets

    rotation, alice, bob = recent
    secret = feed_token_string(feed_token_get_or_create(user=alice))
    forged = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskUrlSecrets) for f in h.filters)
    ]
    assert handlers, "the console log handler masks URL secrets"
    stream = io.StringIO()
    # Swap the stream directly: setStream() would flush the old one, which the test runner's
    # output capturing may already have closed.
    original, handlers[0].stream = handlers[0].stream, stream
    try:
        assert client.get(f"/calendar/{forged}.ics").status_code == 404  # logged as Not Found
    finally:
        handlers[0].stream = original
    written = stream.getvalue()
    assert "/calendar/[secret]" in written
    assert forged not in written and forged[:32] not in written


def test_gunicorn_access_log_masks_feed_tokens():
    from portal.logging import mask

    line = mask("GET /calendar/0123456789abcdef0123456789abcdef0123.ics HTTP/1.1")
    assert line == "GET /calendar/[secret].ics HTTP/1.1"
