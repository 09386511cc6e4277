"""The hot path answers exactly as Django's views would, and hands every other request over.

The organisation and the instant are those of ``hotpath_world`` (at 2030-01-16 12:00 UTC bo
holds the payments primary shift until 2030-01-21 09:00; search falls back to payments).
"""

import json

import pytest
from django.core.cache import cache
from django.test import override_settings

from portal.models import ApiTokenInfo

from .hotpath_world import (
    NOW,
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


def _both(django_app, env_of):
    """Answer one request by the hot path, then the same by Django alone; return both."""
    hot = hot_app(django_app, Clock())
    normal = hot_app(django_app, Clock(), enabled=False)
    return call(hot, env_of()), call(normal, env_of())


def _queries(org):
    return [
        (ONCALL, "component=billing"),
        (ONCALL, "component=search"),  # nobody on duty: the organisation fallback answers
        (ONCALL, "team=payments"),
        (ONCALL, f"rotation={org['rotation']}"),
        (ONCALL, "team=ops"),  # a team with nobody on call: leads, a warning
        (OWNERSHIP, "path=/services/billing/api.py"),
        (OWNERSHIP, "path=/services/search/index%20v2.py"),
    ]


def test_hot_answers_are_djangos_header_by_header_and_byte_by_byte(org, django_app):
    for path, query in _queries(org):
        hot, normal = _both(django_app, lambda p=path, q=query: environ(p, q, token=org["token"]))
        assert hot[0] == normal[0] == "200 OK", (path, query, normal)
        assert hot[1] == normal[1], (path, query)
        assert hot[2] == normal[2], (path, query)
    # Only the normal calls reached Django.
    assert django_app.calls == len(_queries(org))


def test_hot_answers_say_who_is_on_call_by_hand(org, django_app):
    app = hot_app(django_app, Clock())

    def get(path, query):
        status, _, body = call(app, environ(path, query, token=org["token"]))
        assert status == "200 OK"
        return json.loads(body)

    billing = get(ONCALL, "component=billing")
    assert billing["at"] == "2030-01-16T12:00:00Z"
    assert billing["primary"]["username"] == "bo"
    assert billing["primary"]["shift_end"] == "2030-01-21T09:00:00Z"
    assert [(s["role"], s["users"]) for s in billing["escalation"]] == [
        ("primary", ["bo"]),
        ("manager", ["cy"]),
    ]
    search = get(ONCALL, "component=search")
    assert search["primary"] is None
    assert search["fallback"]["users"] == ["bo"]
    assert search["fallback"]["team"] == "payments"
    owner = get(OWNERSHIP, "path=/services/billing/api.py")
    assert owner["component"]["slug"] == "billing"
    assert owner["effective_owner_team"] == "payments"
    assert django_app.calls == 0


def test_the_instant_keeps_its_microseconds_as_drf_writes_them(org, django_app):
    org["now"].at = NOW.replace(microsecond=120)
    hot, normal = _both(django_app, lambda: environ(ONCALL, "team=payments", token=org["token"]))
    assert hot == normal
    assert json.loads(hot[2])["at"] == "2030-01-16T12:00:00.000120Z"


@pytest.mark.parametrize(
    ("path", "query", "extra", "status"),
    [
        (ONCALL, "component=nope", {}, "400 Bad Request"),
        (ONCALL, "rotation=abc", {}, "400 Bad Request"),
        (ONCALL, "team=payments&component=billing", {}, "400 Bad Request"),
        (ONCALL, "", {}, "400 Bad Request"),
        (ONCALL, "component=billing&at=2030-01-09T12:00:00Z", {}, "200 OK"),
        (ONCALL, "component=billing&format=json", {}, "200 OK"),
        (ONCALL, "component=bil%00ling", {}, "400 Bad Request"),
        (OWNERSHIP, "path=/nowhere/x.py", {}, "404 Not Found"),
        (OWNERSHIP, "path=/x.py" + "&a=1" * 1000, {}, "400 Bad Request"),  # too many fields
        (OWNERSHIP, "path=", {}, "400 Bad Request"),
        (OWNERSHIP, "path=/services/billing/x.py&at=2030-01-09", {}, "200 OK"),
        (ONCALL, "component=billing", {"HTTP_AUTHORIZATION": "Token nope"}, "401 Unauthorized"),
        (ONCALL, "component=billing", {"HTTP_AUTHORIZATION": "Bearer x"}, "401 Unauthorized"),
        (ONCALL, "component=billing", {"HTTP_HOST": "evil.example"}, "400 Bad Request"),
        (ONCALL, "component=billing", {"HTTP_ACCEPT": "application/json; indent=2"}, "200 OK"),
        (ONCALL, "component=billing", {"REQUEST_METHOD": "OPTIONS"}, "200 OK"),
    ],
)
def test_what_the_hot_path_cannot_answer_goes_to_django_unchanged(
    org, django_app, path, query, extra, status
):
    hot, normal = _both(django_app, lambda: environ(path, query, token=org["token"], **extra))
    assert normal[0] == status, normal
    assert hot == normal
    assert django_app.calls == 2  # the hot path handed its request over too


@pytest.mark.parametrize(
    "extra",
    [
        {"REQUEST_METHOD": "HEAD"},
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_COOKIE": "sessionid=abc"},
    ],
)
def test_head_html_and_session_cookies_go_to_django(org, django_app, extra):
    app = hot_app(django_app, Clock())
    status, _, _ = call(app, environ(ONCALL, "component=billing", token=org["token"], **extra))
    assert status == "200 OK"
    assert django_app.calls == 1


def test_the_rate_limit_refuses_as_the_middleware_does(org, django_app):
    rates = {"anon": "100/minute", "user": "2/minute"}
    env = environ(ONCALL, "component=billing", token=org["token"])
    app = hot_app(django_app, Clock())
    normal = hot_app(django_app, Clock(), enabled=False)
    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": rates}):
        # Handed to Django (unknown component): counted once, by Django's middleware only.
        assert call(app, environ(ONCALL, "component=nope", token=org["token"]))[0].startswith("400")
        assert call(app, env)[0] == "200 OK"  # the second request of the minute
        hot = call(app, env)  # the third: refused by the hot path
        cache.clear()
        assert call(normal, env)[0] == "200 OK"
        assert call(normal, env)[0] == "200 OK"
        normal_refusal = call(normal, env)
    assert hot == normal_refusal
    assert hot[0] == "429 Too Many Requests"
    # The minute of 12:00:00 has 60 s left, frozen.
    assert ("Retry-After", "60") in hot[1]
    assert json.loads(hot[2])["limit"] == "2/minute"
    assert django_app.calls == 4


def test_query_counts_cold_warm_and_per_interval(org, django_app, django_assert_num_queries):
    clock = Clock()
    app = hot_app(django_app, clock)
    env = environ(ONCALL, "component=billing", token=org["token"])
    # Cold: the versions; knox's token with its user; its last use; then routing's own
    # versions and its eight reads (component, its ancestors, support policy, fallback
    # settings, rotations, shifts, overrides, leads and managers).
    with django_assert_num_queries(12):
        assert call(app, env)[0] == "200 OK"
    with django_assert_num_queries(0):
        for _ in range(50):
            assert call(app, env)[0] == "200 OK"
    clock.now += 1.0
    with django_assert_num_queries(1):  # the versions, once per interval
        assert call(app, env)[0] == "200 OK"
    with django_assert_num_queries(0):
        assert call(app, env)[0] == "200 OK"
    path_env = environ(OWNERSHIP, "path=/services/billing/api.py", token=org["token"])
    # A path not asked before: the catalog version, its globs and the component with owners.
    with django_assert_num_queries(4):
        assert call(app, path_env)[0] == "200 OK"
    with django_assert_num_queries(0):
        assert call(app, path_env)[0] == "200 OK"
    assert django_app.calls == 0


def test_last_use_is_recorded_once_a_minute_per_token_without_asking_the_cache(org, django_app):
    clock = Clock()
    app = hot_app(django_app, clock)
    env = environ(ONCALL, "component=billing", token=org["token"])
    call(app, env)
    info = ApiTokenInfo.objects.get(pk=org["token_id"])
    assert info.last_used_at == NOW
    # Thirty seconds later, with the shared cache emptied (it would let any process write):
    # this process does not even ask it, so nothing is written.
    cache.clear()
    clock.now += 30
    org["now"].at = NOW.replace(second=30)
    call(app, env)
    info.refresh_from_db()
    assert info.last_used_at == NOW
    clock.now += 31  # a minute after the first use
    org["now"].at = NOW.replace(minute=1, second=1)
    call(app, env)
    info.refresh_from_db()
    assert info.last_used_at == NOW.replace(minute=1, second=1)
