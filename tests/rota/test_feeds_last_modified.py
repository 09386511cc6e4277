"""Last-Modified and ETag of a feed: read from the rows, so every process answers the same.

"A fresh process" is simulated by emptying the process caches (``core.caches.clear_all()``)
and Django's cache (a per-process memory cache in tests and by default).
"""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from core import caches
from notifications.models import NotificationPreference
from ownership.models import CatalogVersion, Team
from rota import services
from rota.models import Override, Rotation, RotaVersion, Shift, ShiftChange
from rota.services.feeds import feed_token_get_or_create, feed_token_string
from tests.ownership.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _url(token, busy=None):
    query = "" if busy is None else f"?busy={busy}"
    return f"/calendar/{feed_token_string(token)}.ics{query}"


def _fresh_process():
    caches.clear_all()
    cache.clear()


def _settle(at):
    """Date every stored change at ``at``, as if the rota had been written then."""
    Shift.objects.update(updated_at=at)
    Override.objects.update(updated_at=at)
    Rotation.objects.update(updated_at=at)
    Team.objects.update(updated_at=at)
    ShiftChange.objects.update(changed_at=at)
    NotificationPreference.objects.update(updated_at=at)
    RotaVersion.objects.update(changed_at=at)
    CatalogVersion.objects.update(changed_at=at)


@pytest.fixture
def alice_feed():
    """Alice and Bob take weekly turns on a rotation, from two weeks ago to 8 weeks ahead;
    every row was last written at ``settled`` (an hour ago, whole seconds)."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    team = MembershipFactory(user=alice).team
    MembershipFactory(user=bob, team=team)
    start = timezone.now().date() - datetime.timedelta(days=14)
    rotation = services.rotation_create(
        name="Payments on call",
        kind="person",
        shift_length_unit="weeks",
        shift_length_count=1,
        handoff_time=datetime.time(9),
        timezone="Europe/London",
        start_date=start,
        team=team,
        participants=[alice, bob],
    )
    services.rotation_generate(
        rotation=rotation,
        until=start + datetime.timedelta(days=70),
        now=datetime.datetime.combine(start, datetime.time(0), tzinfo=datetime.UTC),
    )
    settled = (timezone.now() - HOUR).replace(microsecond=0)
    _settle(settled)
    return alice, rotation, settled


def _expected(settled):
    # Worked out on paper: the latest stamp is the rows' (an hour ago) unless the day began
    # after that, at 00:00 UTC when the feed's window moved.
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return http_date(max(settled, midnight).timestamp())


def test_an_unchanged_feed_has_the_same_validators_in_every_process(client, alice_feed):
    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    assert first.status_code == 200
    assert first["Last-Modified"] == _expected(settled)

    _fresh_process()
    second = client.get(url)
    assert (second["ETag"], second["Last-Modified"]) == (first["ETag"], first["Last-Modified"])

    # If-Modified-Since alone, from a process that never served this feed: 304, no body.
    _fresh_process()
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304 and again.content == b""
    assert again["Last-Modified"] == first["Last-Modified"]


def test_editing_a_shift_moves_both_validators_forward(client, alice_feed):
    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("start").first()
    services.shift_update(shift=shift, end=shift.end - HOUR)
    edited = settled + datetime.timedelta(minutes=1)
    Shift.objects.filter(pk=shift.pk).update(updated_at=edited)
    RotaVersion.objects.update(changed_at=edited)  # the edit dated the rota's version too

    _fresh_process()
    after = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    # Worked out on paper: the edited shift's stamp, a minute after the others.
    assert after["Last-Modified"] == _expected(edited)


def test_deleting_a_shift_moves_both_validators_forward(client, alice_feed, monkeypatch):
    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("-start").first()
    shift_id = shift.pk
    services.shift_delete(shift=shift)
    removed_at = ShiftChange.objects.get(shift_ref=shift_id, action="deleted").changed_at
    # Nothing else is stamped later than the removal's audit row.
    assert Shift.objects.filter(updated_at__gt=settled).count() == 0

    _fresh_process()
    # A second later than the removal, so that its date is final (see the view).
    later = removed_at + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    after = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert after.status_code == 200
    assert f"shift-{shift_id}@".encode() not in after.content
    assert after["ETag"] != first["ETag"]
    assert after["Last-Modified"] == http_date(int(removed_at.timestamp()))


def test_changing_the_busy_preference_moves_last_modified(client, alice_feed):
    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    preference, _ = NotificationPreference.objects.get_or_create(user=alice)
    NotificationPreference.objects.filter(pk=preference.pk).update(
        feed_busy=True, feed_sequence=1, updated_at=settled + datetime.timedelta(minutes=2)
    )
    _fresh_process()
    after = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert parse_http_date(after["Last-Modified"]) > parse_http_date(first["Last-Modified"])


def test_a_change_in_this_second_gives_no_date_until_the_second_is_over(
    client, alice_feed, monkeypatch
):
    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    shift = Shift.objects.filter(user=alice, start__gt=timezone.now()).order_by("start").first()
    just_now = timezone.now().replace(microsecond=0) + datetime.timedelta(seconds=30)
    Shift.objects.filter(pk=shift.pk).update(updated_at=just_now)
    monkeypatch.setattr(timezone, "now", lambda: just_now + datetime.timedelta(seconds=0.5))
    early = client.get(url)
    assert early.status_code == 200 and "Last-Modified" not in early
    # Another change within that second could not be told apart by an HTTP date; a second
    # later the date is final and given.
    monkeypatch.setattr(timezone, "now", lambda: just_now + datetime.timedelta(seconds=1))
    late = client.get(url)
    assert late["Last-Modified"] == http_date(just_now.timestamp())
    assert late["ETag"] == early["ETag"]


@pytest.mark.parametrize("header", ["HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"])
def test_the_304_path_is_one_query(client, alice_feed, django_assert_num_queries, header):
    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    value = first["ETag"] if header == "HTTP_IF_NONE_MATCH" else first["Last-Modified"]
    # Warm: the token, with the rota and catalog version tags, in one query.
    with django_assert_num_queries(1):
        assert client.get(url, **{header: value}).status_code == 304
    # Cold (a process that never served the feed): that query, then the memberships, the
    # shift and cover fingerprints, the last removal and the versions' dates, once; then one
    # query again.
    _fresh_process()
    with django_assert_num_queries(6):
        assert client.get(url, **{header: value}).status_code == 304
    with django_assert_num_queries(1):
        assert client.get(url, **{header: value}).status_code == 304


def test_a_change_that_leaves_no_row_still_moves_last_modified(client, alice_feed, monkeypatch):
    # Bob leaves the team: no shift, cover or rotation row of Alice's feed is written, but her
    # feed changes (her team's support duty lists its members). Worked out on paper: the
    # catalog's version is dated at the removal, a minute after everything else was settled,
    # so Last-Modified moves to that minute and If-Modified-Since gets the new feed.
    from ownership import services as ownership_services
    from ownership.models import Membership

    alice, rotation, settled = alice_feed
    url = _url(feed_token_get_or_create(user=alice))
    first = client.get(url)
    assert first["Last-Modified"] == _expected(settled)

    removal = settled + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: removal)
    team = Membership.objects.get(user__username="bob").team
    ownership_services.team_set_members(team=team, members=[(alice, Membership.Role.ENGINEER)])
    monkeypatch.setattr(timezone, "now", lambda: removal + datetime.timedelta(seconds=1))

    _fresh_process()
    after = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert after.status_code == 200
    assert after["Last-Modified"] == http_date(removal.timestamp())
