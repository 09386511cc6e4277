"""/healthz names the dependency that is down, and the API answers 503 JSON without a database."""

import json
import subprocess
import sys

import pytest
from django.db import connections
from knox.models import AuthToken

from tests.ownership.factories import TeamFactory, UserFactory


@pytest.fixture
def database_down(transactional_db):
    """Point the default connection at a database that cannot be opened, as after an outage.

    A real failure, not a mock: SQLite cannot create a file in a folder that does not exist,
    and nothing listens on port 1 for PostgreSQL.
    """
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-folder/rota.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
        connection.settings_dict.setdefault("OPTIONS", {})["connect_timeout"] = 2
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db
def test_healthy_answers_200_with_every_check(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # memory:// is the test broker: it always connects.
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_database_down_answers_503_naming_the_database(client, database_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"].startswith("error: OperationalError")
    # Only the database is down: the other checks still pass.
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"] == "ok"


def test_broker_down_is_reported_but_keeps_the_web_tier_in_service(client, db, settings):
    # Nothing listens on port 1; the web tier still answers (enqueues are best-effort).
    from portal.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error: ")


def test_api_answers_503_json_when_the_database_is_down(client, transactional_db):
    TeamFactory(slug="payments")
    _, token = AuthToken.objects.create(UserFactory())
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["NAME" if connection.vendor == "sqlite" else "PORT"] = (
        "/nonexistent-folder/rota.sqlite3" if connection.vendor == "sqlite" else "1"
    )
    try:
        # The token is looked up in the database: the first query of the request fails.
        response = client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Token {token}")
    finally:
        connection.close()
        connection.settings_dict.update(saved)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The database is unavailable; retry in a few seconds.",
        "code": "database_unavailable",
    }
    assert response["Retry-After"] == "10"


def test_api_answers_503_json_for_a_signed_in_session_too(database_down):
    from django.test import Client

    # No session can be read: the session lookup itself is the failing query.
    client = Client()
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/api/v1/teams/")

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_pages_still_fail_as_pages_when_the_database_is_down(database_down):
    from django.test import Client

    # Outside /api/ the usual error page stands; the JSON answer is for API clients.
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/me/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("settings_module", ["portal.settings.production", "portal.settings.base"])
def test_kept_connections_are_health_checked(settings_module):
    env = {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "rota.example.com",
        "DATABASE_URL": "postgres://rota@db.example.com:5432/rota",
        "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
        "PATH": "/usr/bin:/bin",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "import json; d = s.DATABASES['default']; "
        "print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    max_age, health_checks = json.loads(out.stdout)
    assert health_checks is True
    assert max_age == (60 if settings_module.endswith("production") else 0)


def test_cache_down_answers_503_naming_the_cache(client, db, settings):
    # A Redis cache where nothing listens: sessions and throttling could not work either.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error: ConnectionError")


@pytest.mark.postgresql  # a SQLite connection is a file handle: no server can drop it
@pytest.mark.parametrize("health_checks, status", [(True, 200), (False, 503)])
def test_a_kept_connection_killed_by_a_database_restart_is_replaced(
    client, transactional_db, health_checks, status
):
    from django.db import close_old_connections

    connection = connections["default"]
    assert connection.vendor == "postgresql"
    _, token = AuthToken.objects.create(UserFactory())
    saved = dict(connection.settings_dict)
    connection.close()
    # As in production: connections are kept between requests for a minute.
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=health_checks)
    try:
        assert client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
        close_old_connections()  # the end of a request, as the WSGI handler signals it
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        # The server drops the kept connection, as a restart does.
        other = connection.get_new_connection(connection.get_connection_params())
        other.autocommit = True
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        other.close()

        close_old_connections()  # the start of the next request
        response = client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Token {token}")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    # With health checks the dead connection is noticed and replaced: the request succeeds.
    # Without them the request fails on it (answered 503 as the API does for an outage).
    assert response.status_code == status


def test_the_health_check_is_not_redirected_to_https_in_production(settings, db):
    from django.test import Client

    from tests.portal.test_security_headers import production_settings

    # Production redirects plain HTTP to HTTPS, except the probe of the load balancer.
    code = "from django.conf import settings; print(json.dumps(settings.SECURE_REDIRECT_EXEMPT))"
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = json.loads(production_settings({}, "import json\n" + code))
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301
