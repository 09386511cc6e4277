"""Feed events leave time free unless the subscriber asks for busy (issue 14.3).

The organisation is ``feed_org`` (tests/rota/conftest.py): alice holds a week of "Payments on
call" now and the week after bob's (covered in full by carol), and her team Payments is on
support for two weeks; carol covers bob for a day.
"""

import icalendar
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from notifications.models import NotificationPreference
from ownership.services import team_set_members
from rota.services.feeds import feed_token_get_or_create, feed_token_string
from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

PREFERENCES = "/api/v1/me/notification-preferences/"


def url(token, query=""):
    return f"/calendar/{feed_token_string(token)}.ics{query}"


def fetch(client, token, query=""):
    response = client.get(url(token, query))
    assert response.status_code == 200, response.content[:300]
    return response


def shown(response):
    """Return {UID: (TRANSP, X-MICROSOFT-CDO-BUSYSTATUS, SEQUENCE, STATUS)} of a feed."""
    calendar = icalendar.Calendar.from_ical(response.content)
    return {
        str(e["UID"]): (
            str(e["TRANSP"]),
            str(e["X-MICROSOFT-CDO-BUSYSTATUS"]),
            int(e["SEQUENCE"]),
            str(e["STATUS"]),
        )
        for e in calendar.walk("VEVENT")
    }


def set_busy(user, value):
    api = APIClient()
    api.force_authenticate(user)
    response = api.patch(PREFERENCES, {"feed_busy": value}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["feed_busy"] is value


FREE = ("TRANSPARENT", "FREE")
BUSY = ("OPAQUE", "BUSY")


def test_person_team_and_rotation_feeds_leave_time_free_by_default(client, feed_org):
    alice, carol = feed_org["people"]["alice"], feed_org["people"]["carol"]
    tokens = [
        feed_token_get_or_create(user=alice),
        feed_token_get_or_create(user=alice, kind="team", team=feed_org["team"]),
        feed_token_get_or_create(user=alice, kind="rotation", rotation=feed_org["rotation"]),
        feed_token_get_or_create(user=carol),  # a coverer's feed: her covers
    ]
    for token in tokens:
        events = shown(fetch(client, token))
        assert events, token
        assert {e[:2] for e in events.values()} == {FREE}, token


def test_asking_for_busy_blocks_own_duty_with_the_same_uids_and_a_higher_sequence(client, feed_org):
    # Alice's own feed: her week (busy), her later week covered in full by carol (cancelled:
    # stays free), and Payments' support shift (her team's duty: busy). Every event's
    # SEQUENCE rises by one with each change of the preference, back and forth.
    alice = feed_org["people"]["alice"]
    shifts = feed_org["shifts"]
    token = feed_token_get_or_create(user=alice)
    first = fetch(client, token)
    before = shown(first)
    mine = f"shift-{shifts['alice'].pk}@localhost"
    covered = f"shift-{shifts['alice-later'].pk}@localhost"
    support = f"shift-{shifts['support'].pk}@localhost"
    assert set(before) == {mine, covered, support}

    set_busy(alice, True)
    assert NotificationPreference.objects.get(user=alice).feed_sequence == 1
    # The old ETag no longer matches: apps that revalidate get the new body.
    again = client.get(url(token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    after = shown(again)
    assert after.keys() == before.keys()
    assert after[mine] == (*BUSY, before[mine][2] + 1, "CONFIRMED")
    assert after[support] == (*BUSY, before[support][2] + 1, "CONFIRMED")
    assert after[covered] == (*FREE, before[covered][2] + 1, "CANCELLED")

    set_busy(alice, False)
    back = shown(fetch(client, token))
    assert back == {uid: (*FREE, seq + 2, status) for uid, (_, _, seq, status) in before.items()}

    # Saving the preferences without changing busy raises nothing.
    api = APIClient()
    api.force_authenticate(alice)
    api.patch(PREFERENCES, {"lead_times": [30]}, format="json")
    assert shown(fetch(client, token)) == back


def test_in_shared_feeds_busy_covers_only_the_subscribers_own_duty(client, feed_org):
    # Alice asks for busy. In her team and rotation feeds only her week and (team feed) the
    # support shift of her team are busy; bob's week, carol's covers and the cancelled week
    # leave her time free.
    alice = feed_org["people"]["alice"]
    shifts, covers = feed_org["shifts"], feed_org["covers"]
    set_busy(alice, True)
    busy_uids = {f"shift-{shifts['alice'].pk}@localhost"}
    rotation_feed = shown(
        fetch(
            client,
            feed_token_get_or_create(user=alice, kind="rotation", rotation=feed_org["rotation"]),
        )
    )
    team_feed = shown(
        fetch(client, feed_token_get_or_create(user=alice, kind="team", team=feed_org["team"]))
    )
    expected_rotation = busy_uids
    expected_team = busy_uids | {f"shift-{shifts['support'].pk}@localhost"}
    for events, expected in ((rotation_feed, expected_rotation), (team_feed, expected_team)):
        assert {uid for uid, e in events.items() if e[:2] == BUSY} == expected
        assert {e[:2] for uid, e in events.items() if uid not in expected} == {FREE}
        # bob's shift (two parts around carol's day), carol's covers and the cancelled week
        for uid in (
            f"shift-{shifts['bob'].pk}@localhost",
            f"shift-{shifts['bob'].pk}-2@localhost",
            f"override-{covers['bob'].pk}@localhost",
            f"override-{covers['alice-later'].pk}@localhost",
            f"shift-{shifts['alice-later'].pk}@localhost",
        ):
            assert events[uid][:2] == FREE


def test_the_busy_parameter_overrides_the_preference(client, feed_org):
    carol = feed_org["people"]["carol"]
    token = feed_token_get_or_create(user=carol)  # her two covers
    free = fetch(client, token)
    busy = fetch(client, token, "?busy=1")
    assert {e[:2] for e in shown(free).values()} == {FREE}
    assert {e[:2] for e in shown(busy).values()} == {BUSY}
    assert shown(fetch(client, token, "?busy=true")) == shown(busy)
    # Different bodies, different ETags; the same UIDs and SEQUENCEs (no preference changed).
    assert busy["ETag"] != free["ETag"]
    assert {u: e[2] for u, e in shown(busy).items()} == {u: e[2] for u, e in shown(free).items()}

    set_busy(carol, True)
    assert {e[:2] for e in shown(fetch(client, token)).values()} == {BUSY}
    assert {e[:2] for e in shown(fetch(client, token, "?busy=0")).values()} == {FREE}
    assert {e[:2] for e in shown(fetch(client, token, "?busy=no")).values()} == {FREE}


@pytest.mark.parametrize("value", ["maybe", "", "2", "on-call", "%201", "yes%20", "y", "off"])
def test_a_busy_parameter_that_is_not_yes_or_no_is_refused_by_name(client, feed_org, value):
    token = feed_token_get_or_create(user=feed_org["people"]["alice"])
    response = client.get(url(token, f"?busy={value}"))
    assert response.status_code == 400
    # The message lists every value taken, as the README does.
    assert response.content.decode() == (
        "busy: give 1, true or yes to show your duty as busy, or 0, false or no to show it "
        "as free (in any case)."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", BUSY), ("TRUE", BUSY), ("Yes", BUSY), ("0", FREE), ("False", FREE), ("NO", FREE)],
)
def test_the_documented_busy_values_are_taken_in_any_case(client, feed_org, value, expected):
    token = feed_token_get_or_create(user=feed_org["people"]["carol"])  # her two covers
    assert {e[:2] for e in shown(fetch(client, token, f"?busy={value}")).values()} == {expected}


def test_a_busy_feed_costs_no_more_queries(client, django_assert_num_queries, feed_org):
    # The preference comes with the token: the same eleven queries as a free feed (token with
    # the version tags, memberships, two fingerprints, the last removal, the versions' change
    # times, shifts, overrides, their rotations, teams and people), and a revalidation stays
    # at one.
    alice = feed_org["people"]["alice"]
    set_busy(alice, True)
    token = feed_token_get_or_create(user=alice)
    with django_assert_num_queries(11):
        response = client.get(url(token))
    assert {e[:2] for e in shown(response).values()} == {BUSY, FREE}
    with django_assert_num_queries(1):
        assert client.get(url(token), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_settings_page_and_the_admin_change_the_preference_and_raise_the_sequence(
    client, feed_org
):
    alice = feed_org["people"]["alice"]
    client.force_login(alice)
    page = client.get(reverse("notification-preferences")).content.decode()
    assert 'name="feed_busy"' in page
    assert "free/busy" in page  # the help text says what it does
    response = client.post(
        reverse("notification-preferences"),
        {"email_enabled": "on", "lead_times": "1d, 1h", "timezone": "", "feed_busy": "on"},
    )
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=alice)
    assert (saved.feed_busy, saved.feed_sequence) == (True, 1)

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = reverse("admin:notifications_notificationpreference_change", args=[saved.pk])
    assert 'name="feed_busy"' in client.get(change).content.decode()
    response = client.post(
        change,
        {
            "user": alice.pk,
            "timezone": "",
            "email_enabled": "on",
            "chat_webhook_url": "",
            "lead_times": "[1440, 60]",
            "quiet_hours_start": "",
            "quiet_hours_end": "",
            # feed_busy left out: switched off
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved.refresh_from_db()
    assert (saved.feed_busy, saved.feed_sequence) == (False, 2)
    events = shown(fetch(client, feed_token_get_or_create(user=alice)))
    assert {e[:2] for e in events.values()} == {FREE}


def test_a_new_team_member_who_asked_for_busy_sees_the_teams_support_shift_busy(client, feed_org):
    # Membership decides which support shifts are the subscriber's: dan joins Payments
    # (through the service, which replaces the catalog's version tag as the admin and API do).
    dan = UserFactory(username="dan")
    set_busy(dan, True)
    token = feed_token_get_or_create(user=dan, kind="team", team=feed_org["team"])
    support = f"shift-{feed_org['shifts']['support'].pk}@localhost"
    assert shown(fetch(client, token))[support][:2] == FREE
    team = feed_org["team"]
    members = [(m.user, m.role) for m in team.memberships.select_related("user")]
    team_set_members(team=team, members=[*members, (dan, "engineer")])
    assert shown(fetch(client, token))[support][:2] == BUSY


def test_a_cover_of_ones_own_is_busy_in_the_rotation_feed(client, feed_org):
    carol = feed_org["people"]["carol"]
    covers = feed_org["covers"]
    token = feed_token_get_or_create(user=carol, kind="rotation", rotation=feed_org["rotation"])
    events = shown(fetch(client, token, "?busy=1"))
    assert {uid for uid, e in events.items() if e[:2] == BUSY} == {
        f"override-{covers['bob'].pk}@localhost",
        f"override-{covers['alice-later'].pk}@localhost",
    }
