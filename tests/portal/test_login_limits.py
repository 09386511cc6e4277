"""Failed sign-ins are limited per username and address (django-axes), on the portal and admin."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOCKED = "Too many sign-in attempts"


@pytest.fixture
def alice():
    user = UserFactory(username="alice", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def bob():
    user = UserFactory(username="bob", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client, url, username, password):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_five_failures_lock_the_username_at_that_address(alice, url):
    client = Client(REMOTE_ADDR="203.0.113.7")
    # The limit is 5: the first four failures show the form again with its error, the fifth
    # locks the pair (alice, 203.0.113.7) out and says so on the lockout page.
    for _ in range(4):
        response = attempt(client, url, "alice", "wrong")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    fifth = attempt(client, url, "alice", "wrong")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()

    # Now even the right password is refused, with the page that explains why.
    response = attempt(client, url, "alice", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert "<strong>alice</strong>" in html
    assert "failed 5 times" in html
    assert "Try again in 15 minutes" in html
    assert "_auth_user_id" not in client.session
    # The refused attempt counts too, so guessing on during the lockout prolongs it.
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 6


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_another_username_from_the_same_address_is_unaffected(alice, bob, url):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        attempt(client, url, "alice", "wrong")

    # The rule counts username and address together: bob at the same address signs in.
    response = attempt(client, url, "bob", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_the_same_username_from_another_address_is_unaffected(alice):
    for _ in range(5):
        attempt(Client(REMOTE_ADDR="203.0.113.7"), "/accounts/login/", "alice", "wrong")

    # A stranger's failures cannot lock alice out of her own machine.
    elsewhere = Client(REMOTE_ADDR="198.51.100.2")
    assert attempt(elsewhere, "/accounts/login/", "alice", PASSWORD).status_code == 302


def test_portal_and_admin_failures_count_together(alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    # Three on the portal and two on the admin make five for the pair: locked on both.
    for _ in range(3):
        attempt(client, "/accounts/login/", "alice", "wrong")
    for _ in range(2):
        attempt(client, "/admin/login/", "alice", "wrong")

    assert attempt(client, "/accounts/login/", "alice", PASSWORD).status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        attempt(client, "/accounts/login/", "alice", "wrong")
    assert attempt(client, "/accounts/login/", "alice", PASSWORD).status_code == 302

    # The count was reset: four more failures (not one) are allowed before the lockout.
    client = Client(REMOTE_ADDR="203.0.113.7")
    codes = [attempt(client, "/accounts/login/", "alice", "wrong").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_the_lockout_ends_after_the_cool_off(alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        attempt(client, "/accounts/login/", "alice", "wrong")
    # 16 minutes after the last failure the 15-minute cool-off is over.
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )

    assert attempt(client, "/accounts/login/", "alice", PASSWORD).status_code == 302


def test_the_client_address_is_read_behind_the_trusted_proxies(alice, settings):
    settings.ROTA_TRUSTED_PROXY_COUNT = 1
    # Through one proxy (REMOTE_ADDR 10.0.0.1) the client is the last X-Forwarded-For entry;
    # the entry before it was written by the client and is ignored.
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        proxy.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",
        )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"

    # Another client behind the same proxy is not locked out.
    response = proxy.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.2",
    )
    assert response.status_code == 302
