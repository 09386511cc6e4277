"""Changes made elsewhere reach the hot path within its check interval (1 s here), not later.

``remote`` is a hot path with a state of its own that does not hear of this process's
writes: another process. Its clock is moved by hand: 0.9 s after its last check it may still
answer as before (stale, within the bound); 1 s after, it must answer the change. The
organisation is that of ``hotpath_world``: at 2030-01-16 12:00 UTC bo is payments' primary.
"""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model

from .hotpath_world import (
    ONCALL,
    OWNERSHIP,
    Clock,
    CountingDjango,
    build_org,
    call,
    environ,
    hot_app,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(monkeypatch):
    return build_org(monkeypatch)


@pytest.fixture
def django_app():
    return CountingDjango()


def _remote(django_app, clock):
    return hot_app(django_app, clock, local_changes=lambda: 0)


def _primary(app, org, query="component=billing"):
    status, _, body = call(app, environ(ONCALL, query, token=org["token"]))
    assert status == "200 OK", body
    return json.loads(body)["primary"]["username"]


def test_an_override_made_by_another_client_is_seen_within_the_interval(org, django_app):
    clock = Clock()
    remote = _remote(django_app, clock)
    local = hot_app(django_app, Clock())
    assert _primary(remote, org) == _primary(local, org) == "bo"

    # Another client: ana covers payments' primary from 10:00 to 14:00 today.
    created = org["admin"].post(
        "/api/v1/overrides/",
        {
            "rotation": org["rotation"],
            "user": "ana",
            "start": "2030-01-16T10:00:00Z",
            "end": "2030-01-16T14:00:00Z",
            "reason": "swap",
        },
    )
    assert created.status_code == 201, created.content

    assert _primary(local, org) == "ana"  # this process's own write: at once
    clock.now += 0.9
    assert _primary(remote, org) == "bo"  # within the bound: may still be stale
    clock.now += 0.1
    assert _primary(remote, org) == "ana"  # the bound passed: seen
    assert django_app.calls == 0


def test_a_revoked_token_is_refused_within_the_interval(org, django_app):
    clock = Clock()
    remote = _remote(django_app, clock)
    env = environ(ONCALL, "component=billing", token=org["token"])
    assert call(remote, env)[0] == "200 OK"

    revoked = org["reader_client"].delete(f"/api/v1/me/tokens/{org['token_id']}/")
    assert revoked.status_code == 204

    assert call(hot_app(django_app, Clock()), env)[0] == "401 Unauthorized"  # a new process
    assert django_app.calls == 1
    clock.now += 0.9
    assert call(remote, env)[0] == "200 OK"
    assert django_app.calls == 1
    clock.now += 0.1
    status, _, body = call(remote, env)
    assert (status, json.loads(body)["detail"]) == ("401 Unauthorized", "Invalid token.")
    assert django_app.calls == 2  # handed to Django, which refused it


def test_a_deactivated_user_is_refused_within_the_interval(org, django_app):
    clock = Clock()
    remote = _remote(django_app, clock)
    local = hot_app(django_app, Clock())
    env = environ(OWNERSHIP, "path=/services/billing/a.py", token=org["token"])
    assert call(remote, env)[0] == call(local, env)[0] == "200 OK"

    # As the admin's user form saves it.
    org["reader"].is_active = False
    org["reader"].save()

    assert call(local, env)[0] == "401 Unauthorized"
    clock.now += 0.9
    assert call(remote, env)[0] == "200 OK"
    clock.now += 0.1
    status, _, body = call(remote, env)
    assert (status, json.loads(body)["detail"]) == ("401 Unauthorized", "User inactive or deleted.")


def test_a_new_owner_is_seen_within_the_interval(org, django_app):
    clock = Clock()
    remote = _remote(django_app, clock)
    env = environ(OWNERSHIP, "path=/services/billing/a.py", token=org["token"])

    def owner():
        status, _, body = call(remote, env)
        assert status == "200 OK"
        return json.loads(body)["effective_owner_team"]

    assert owner() == "payments"
    assert _primary(remote, org) == "bo"
    changed = org["admin"].patch("/api/v1/components/billing/", {"owner_team": "ops"})
    assert changed.status_code == 200, changed.content

    clock.now += 0.9
    assert owner() == "payments"
    clock.now += 0.1
    assert owner() == "ops"
    # Ops has nobody on call: billing now falls back to the organisation's (payments: bo).
    status, _, body = call(remote, environ(ONCALL, "component=billing", token=org["token"]))
    answer = json.loads(body)
    assert (answer["responding_team"], answer["primary"]) == ("ops", None)
    assert answer["fallback"]["users"] == ["bo"]
    assert django_app.calls == 0


def test_the_answer_changes_at_the_handoff_without_any_check(org, django_app):
    clock = Clock()
    app = _remote(django_app, clock)
    assert _primary(app, org) == "bo"
    # Monday 2030-01-21 09:00 UTC: ana's week starts; the version tags did not change.
    org["now"].at = datetime.datetime(2030, 1, 21, 9, 0, tzinfo=datetime.UTC)
    assert _primary(app, org) == "ana"
    assert app.state.queries == 1  # the first request's check only


def test_a_deactivation_no_receiver_hears_of_is_seen_within_a_minute(org, django_app):
    clock = Clock()
    remote = _remote(django_app, clock)
    env = environ(ONCALL, "component=billing", token=org["token"])
    assert call(remote, env)[0] == "200 OK"
    # A bulk UPDATE sends no signal, so the authentication tag stays: only the token's own
    # recheck, a minute after it was checked, finds the user inactive.
    get_user_model().objects.filter(pk=org["reader"].pk).update(is_active=False)
    clock.now += 59
    assert call(remote, env)[0] == "200 OK"
    clock.now += 1
    assert call(remote, env)[0] == "401 Unauthorized"
