"""A small organisation built through the API, and WSGI calls of the hot path and of Django.

Built by a rota admin through the API on Sunday 2030-01-06 (``timezone.now`` is frozen, so
that generation deals from the rotation's start and both paths write the same instant);
the tests then read at ``NOW``, Wednesday 2030-01-16 12:00 UTC:

* team payments: ana and bo (engineers), cy (manager); team ops: dee (lead);
* component billing (paths /services/billing/) owned by payments, search
  (/services/search/) owned by ops;
* rotation "Payments primary" (person, weekly, 09:00 UTC handoff from Monday 2030-01-07,
  participants ana, bo), generated: ana 01-07..01-14, bo 01-14..01-21, ana 01-21..;
* the organisation fallback is team payments.

So at 2030-01-16 12:00: billing → payments, primary bo until 2030-01-21T09:00Z; search →
ops has no rotation and nobody on duty: the fallback answers with payments' on-call, bo.
A reader (no team) holds an API token made through ``/api/v1/me/tokens/``.
"""

import datetime
import sys
from io import BytesIO

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.test import APIClient

from portal.hotpath import HotPathApp
from tests.ownership.factories import UserFactory, rota_admin

BUILT = datetime.datetime(2030, 1, 6, 12, 0, tzinfo=datetime.UTC)
NOW = datetime.datetime(2030, 1, 16, 12, 0, tzinfo=datetime.UTC)
ONCALL = "/api/v1/oncall/"
OWNERSHIP = "/api/v1/ownership/"


class Clock:
    """A monotonic clock the test moves by hand (seconds)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class CountingDjango:
    """Django's WSGI handler, counting the requests handed to it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


def environ(path, query="", *, token=None, method="GET", **extra) -> dict:
    """A WSGI environ as gunicorn builds it for ``method path?query``."""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if token is not None:
        env["HTTP_AUTHORIZATION"] = f"Token {token}"
    env.update(extra)
    return env


def call(app, env) -> tuple[str, list, bytes]:
    """Call a WSGI application; return (status, headers, body).

    As Django's test client does, the request signals do not close the database connection,
    which holds the test's transaction.
    """
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(env, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body


def hot_app(django, clock, **kwargs) -> HotPathApp:
    return HotPathApp(django, clock=clock, interval=1.0, **kwargs)


def _ok(response, status=201):
    assert response.status_code == status, response.content
    return response.json() if response.content else None


class FrozenNow:
    """``timezone.now`` stopped at ``at``; the test moves it."""

    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def build_org(monkeypatch) -> dict:
    """Build the organisation of the module's docstring; return its names and clients, with
    ``now`` (the FrozenNow, left at ``NOW``)."""
    now = FrozenNow(BUILT)
    monkeypatch.setattr(timezone, "now", now)
    admin = APIClient()
    admin.force_authenticate(rota_admin())
    people = {
        name: UserFactory(username=name, email=f"{name}@example.com", first_name=name.title())
        for name in ("ana", "bo", "cy", "dee")
    }
    members = [
        {"username": "ana", "role": "engineer"},
        {"username": "bo", "role": "engineer"},
        {"username": "cy", "role": "manager"},
    ]
    _ok(admin.post("/api/v1/teams/", {"slug": "payments", "name": "Payments", "members": members}))
    ops_members = [{"username": "dee", "role": "lead"}]
    _ok(admin.post("/api/v1/teams/", {"slug": "ops", "name": "Ops", "members": ops_members}))
    for slug, team in (("billing", "payments"), ("search", "ops")):
        component = {"slug": slug, "name": slug.title(), "owner_team": team}
        _ok(admin.post("/api/v1/components/", {**component, "paths": [f"/services/{slug}/"]}))
    rotation = _ok(
        admin.post(
            "/api/v1/rotations/",
            {
                "name": "Payments primary",
                "kind": "person",
                "team": "payments",
                "participants": ["ana", "bo"],
                "shift_length": {"unit": "weeks", "count": 1},
                "handoff_time": "09:00",
                "timezone": "UTC",
                "start_date": "2030-01-07",
                "role": "primary",
            },
        )
    )
    _ok(admin.post(f"/api/v1/rotations/{rotation['id']}/generate/", {"until": "2030-02-28"}), 200)
    _ok(admin.patch("/api/v1/routing-settings/", {"fallback_team": "payments"}), 200)

    reader = UserFactory(username="reader")
    reader_client = APIClient()
    reader_client.force_authenticate(reader)
    made = _ok(reader_client.post("/api/v1/me/tokens/", {"name": "poller"}))
    now.at = NOW
    return {
        "now": now,
        "admin": admin,
        "people": people,
        "reader": reader,
        "reader_client": reader_client,
        "rotation": rotation["id"],
        "token": made["key"],
        "token_id": made["id"],
    }
