"""Personal API tokens: /api/v1/me/tokens/, the /me/tokens/ page, last use recorded cheaply."""

import datetime
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from portal.models import ApiTokenInfo
from portal.tokens import LAST_USED_EVERY
from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/tokens/"


def _token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob")


def test_an_engineer_creates_a_token_sees_its_key_once_and_it_works(make_client, alice):
    client = make_client(alice)
    answer = client.post(URL, {"name": "chat bot"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["name"] == "chat bot" and body["last_used"] is None
    key = body["key"]
    assert len(key) >= 32 and body["prefix"] == key[:15]
    # Only a hash is stored.
    stored = AuthToken.objects.get(user=alice)
    assert key not in (stored.digest, stored.token_key)

    listed = client.get(URL).json()
    assert listed["count"] == 1
    (row,) = listed["results"]
    assert row == {
        "id": body["id"],
        "name": "chat bot",
        "created": body["created"],
        "last_used": None,
        "prefix": key[:15],
    }  # no key in the list

    me = _token_client(key).get("/api/v1/teams/")
    assert me.status_code == 200


def test_lists_only_the_callers_tokens_and_another_s_cannot_be_revoked(make_client, alice, bob):
    make_client(alice).post(URL, {"name": "alice's ci"}, format="json")
    bobs = make_client(bob).post(URL, {"name": "bob's bot"}, format="json").json()

    listed = make_client(alice).get(URL).json()
    assert [row["name"] for row in listed["results"]] == ["alice's ci"]

    # Alice cannot revoke (or learn about) Bob's token: 404, and it keeps working.
    refused = make_client(alice).delete(f"{URL}{bobs['id']}/")
    assert refused.status_code == 404
    assert refused.json() == {"detail": "You have no API token with this id."}
    assert _token_client(bobs["key"]).get("/api/v1/teams/").status_code == 200
    assert make_client(bob).get(URL).json()["count"] == 1


def test_a_revoked_token_is_refused_with_401_at_once(make_client, alice):
    client = make_client(alice)
    created = client.post(URL, {"name": "script"}, format="json").json()
    assert _token_client(created["key"]).get("/api/v1/teams/").status_code == 200

    assert client.delete(f"{URL}{created['id']}/").status_code == 204
    assert _token_client(created["key"]).get("/api/v1/teams/").status_code == 401
    assert client.get(URL).json()["count"] == 0
    assert not AuthToken.objects.filter(user=alice).exists()
    assert client.delete(f"{URL}{created['id']}/").status_code == 404


def test_a_token_can_revoke_itself(alice):
    from portal.tokens import api_token_create

    info, key = api_token_create(user=alice, name="leaked")
    client = _token_client(key)
    assert client.delete(f"{URL}{info.pk}/").status_code == 204
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"name": "  "}, "This field may not be blank."),
        ({"name": "x" * 101}, "Ensure this field has no more than 100 characters."),
    ],
)
def test_a_token_needs_a_name(make_client, alice, body, message):
    answer = make_client(alice).post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"name": [message]}
    assert not AuthToken.objects.exists()


def test_two_tokens_of_one_person_cannot_share_a_name(make_client, alice, bob):
    make_client(alice).post(URL, {"name": "ci"}, format="json")
    again = make_client(alice).post(URL, {"name": "ci"}, format="json")
    assert again.status_code == 400
    assert again.json() == {"name": ["You already have a token named 'ci'."]}
    # Another person may use the same name.
    assert make_client(bob).post(URL, {"name": "ci"}, format="json").status_code == 201


def test_anonymous_callers_are_refused(alice):
    assert APIClient().get(URL).status_code in (401, 403)
    assert APIClient().post(URL, {"name": "x"}, format="json").status_code in (401, 403)


def test_last_use_is_recorded_at_most_once_a_minute(alice, monkeypatch):
    from portal.tokens import api_token_create

    info, key = api_token_create(user=alice, name="poller")
    client = _token_client(key)
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    client.get("/api/v1/teams/")
    info.refresh_from_db()
    assert info.last_used_at == start

    # Thirty seconds later: used again, not written again (the cache says it is fresh).
    later = start + datetime.timedelta(seconds=30)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get("/api/v1/teams/")
    info.refresh_from_db()
    assert info.last_used_at == start

    # Once the minute is over (the cache key expired), the next use is written.
    cache.delete(f"api-token-used:{info.token_id}")
    after = start + LAST_USED_EVERY + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: after)
    client.get("/api/v1/teams/")
    info.refresh_from_db()
    assert info.last_used_at == after
    listed = APIClient()
    listed.force_authenticate(alice)
    (row,) = listed.get(URL).json()["results"]
    assert datetime.datetime.fromisoformat(row["last_used"]) == after


def test_tokens_made_elsewhere_are_listed_and_revocable(make_client, alice):
    # A token from knox's admin (no name) and one from the command are both listed.
    AuthToken.objects.create(user=alice)
    out = io.StringIO()
    call_command("create_api_token", "alice", stdout=out)
    call_command("create_api_token", "alice", "--name", "deploys", stdout=io.StringIO())
    rows = make_client(alice).get(URL).json()["results"]
    assert sorted(row["name"] for row in rows) == ["API token", "create_api_token", "deploys"]
    key = out.getvalue().strip()
    assert _token_client(key).get("/api/v1/teams/").status_code == 200
    for row in rows:
        assert make_client(alice).delete(f"{URL}{row['id']}/").status_code == 204
    assert not AuthToken.objects.filter(user=alice).exists()
    assert _token_client(key).get("/api/v1/teams/").status_code == 401


def test_the_list_costs_the_same_few_queries_for_many_tokens(
    make_client, alice, django_assert_max_num_queries
):
    from portal.tokens import api_token_create

    for n in range(8):
        api_token_create(user=alice, name=f"t{n}")
    client = make_client(alice)
    with django_assert_max_num_queries(4):
        assert client.get(URL).json()["count"] == 8


# --- The portal page -------------------------------------------------------------------------


def _page_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_page_creates_a_token_and_shows_its_key_once(alice):
    client = _page_client(alice)
    page = client.get("/me/tokens/")
    assert page.status_code == 200
    assert b'href="/me/tokens/"' in page.content  # the user menu links here
    assert b"You have no API tokens." in page.content

    created = client.post("/me/tokens/", {"name": "my laptop"})
    assert created.status_code == 200
    info = ApiTokenInfo.objects.get(token__user=alice)
    html = created.content.decode()
    key = html.split('id="token-key" class="feed-url" value="', 1)[1].split('"', 1)[0]
    assert key.startswith(info.token.token_key) and len(key) > 32
    assert "shown only this once" in html
    assert _token_client(key).get("/api/v1/teams/").status_code == 200

    again = client.get("/me/tokens/").content.decode()
    assert "my laptop" in again and key not in again
    # It was used just now, so the list gives a time rather than "never".
    used = ApiTokenInfo.objects.get(pk=info.pk).last_used_at
    assert used is not None and f"{used:%a} {used.day} {used:%b %Y %H:%M} UTC" in again


def test_the_page_gives_times_in_the_persons_zone_labelled_and_a_curl_for_this_site():
    from tests.ownership.factories import MembershipFactory, TeamFactory

    # Priya's team is in Asia/Kolkata (UTC+05:30, "IST"): a token made at 10:12 UTC on Mon 30
    # Nov 2026 was made at 15:42 her time.
    priya = MembershipFactory(team=TeamFactory(timezone="Asia/Kolkata")).user
    client = _page_client(priya)
    created = client.post("/me/tokens/", {"name": "bot"})
    made = ApiTokenInfo.objects.get(token__user=priya)
    AuthToken.objects.filter(pk=made.token.pk).update(
        created=datetime.datetime(2026, 11, 30, 10, 12, tzinfo=datetime.UTC)
    )
    # The example names the address the page was reached at, not a development default.
    html = created.content.decode()
    assert "http://testserver/api/v1/teams/" in html
    assert "localhost:8000" not in html

    listing = client.get("/me/tokens/").content.decode()
    assert "Mon 30 Nov 2026 15:42 IST" in listing
    assert "2026-11-30 10:12" not in listing


def test_the_page_refuses_a_duplicate_name_next_to_the_field(alice):
    client = _page_client(alice)
    client.post("/me/tokens/", {"name": "ci"})
    answer = client.post("/me/tokens/", {"name": "ci"})
    assert answer.status_code == 200
    assert "You already have a token named &#x27;ci&#x27;." in answer.content.decode()
    assert ApiTokenInfo.objects.filter(token__user=alice).count() == 1


def test_the_page_revokes_only_ones_own_tokens(alice, bob):
    from portal.tokens import api_token_create

    mine, my_key = api_token_create(user=alice, name="mine")
    theirs, their_key = api_token_create(user=bob, name="theirs")
    client = _page_client(alice)
    assert b"theirs" not in client.get("/me/tokens/").content

    assert client.post(f"/me/tokens/{theirs.pk}/revoke/").status_code == 404
    assert _token_client(their_key).get("/api/v1/teams/").status_code == 200

    done = client.post(f"/me/tokens/{mine.pk}/revoke/", follow=True)
    assert "The token &#x27;mine&#x27; is revoked" in done.content.decode()
    assert _token_client(my_key).get("/api/v1/teams/").status_code == 401
    assert client.get(f"/me/tokens/{mine.pk}/revoke/").status_code == 405
