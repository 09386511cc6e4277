"""API rate limits (core.throttling): counted per token, user or address, O(1) a request."""

import datetime

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from knox.models import AuthToken
from rest_framework.test import APIClient

from core import throttling
from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

# 10:00:10 UTC: ten seconds into a one-minute window, so 50 s are left in it.
INSTANT = datetime.datetime(2030, 1, 7, 10, 0, 10, tzinfo=datetime.UTC)
REDIS_URL = "redis://127.0.0.1:6379/13"


class CountingCache(LocMemCache):
    """A local-memory cache that counts the operations asked of it."""

    calls: list[str] = []

    def get(self, *args, **kwargs):
        self.calls.append("get")
        return super().get(*args, **kwargs)

    def set(self, *args, **kwargs):
        self.calls.append("set")
        return super().set(*args, **kwargs)

    def add(self, *args, **kwargs):
        self.calls.append("add")
        return super().add(*args, **kwargs)

    def incr(self, *args, **kwargs):
        self.calls.append("incr")
        return super().incr(*args, **kwargs)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock at INSTANT; ``clock(seconds)`` moves it to INSTANT + seconds."""

    def move(seconds=0):
        monkeypatch.setattr(
            "django.utils.timezone.now", lambda: INSTANT + datetime.timedelta(seconds=seconds)
        )

    move()
    return move


@pytest.fixture
def low_rates(settings, clock):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": "2/minute"},
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


def token_client(address="10.0.0.1", token=None):
    client = APIClient(REMOTE_ADDR=address)
    if token is None:
        _, token = AuthToken.objects.create(UserFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_is_served_up_to_its_limit_then_refused_before_authentication(
    low_rates, django_assert_num_queries
):
    client = token_client()
    codes = [client.get("/api/v1/teams/").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    # The fourth is refused from the cache alone: not even the token is looked up.
    with django_assert_num_queries(0):
        response = client.get("/api/v1/teams/")
    assert response.status_code == 429
    # Worked out on paper: 10:00:10 is 10 s into the minute, 50 s before the next one.
    assert response["Retry-After"] == "50"
    assert response.json() == {
        "detail": "Too many requests: the limit for this token or user is 3/minute; retry in 50 s.",
        "scope": "user",
        "limit": "3/minute",
        "retry_after": 50,
    }


def test_the_window_refills_at_the_next_minute(low_rates, clock):
    client = token_client()
    assert [client.get("/api/v1/teams/").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock(49)  # 10:00:59, still the same window: 1 s left
    response = client.get("/api/v1/teams/")
    assert (response.status_code, response["Retry-After"]) == (429, "1")
    clock(50)  # 10:01:00, a new window: three more
    assert [client.get("/api/v1/teams/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_each_token_has_its_own_budget(low_rates):
    first, second = token_client(), token_client()
    assert [first.get("/api/v1/teams/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/api/v1/teams/").status_code == 200


def test_anonymous_callers_are_counted_by_address(low_rates):
    # The schema is the API's one page open to anonymous callers.
    here, there = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")
    assert [here.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]
    response = here.get("/api/schema/")
    assert response.json()["scope"] == "anon"
    assert response.json()["limit"] == "2/minute"
    assert there.get("/api/schema/").status_code == 200
    # A token from the same address has a budget of its own.
    assert token_client("10.0.0.1").get("/api/v1/teams/").status_code == 200


def test_refused_tokens_count_against_the_address(low_rates, django_assert_num_queries):
    guesser = APIClient(REMOTE_ADDR="10.0.0.9")
    codes = []
    for guess in ("a" * 64, "b" * 64):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {guess}")
        codes.append(guesser.get("/api/v1/teams/").status_code)
    assert codes == [401, 401]
    # Two refused tokens reach the address's anonymous limit (2/minute): a third guess is
    # refused without a query, whatever the token.
    guesser.credentials(HTTP_AUTHORIZATION=f"Token {'c' * 64}")
    with django_assert_num_queries(0):
        response = guesser.get("/api/v1/teams/")
    assert response.status_code == 429
    assert response.json()["scope"] == "anon"
    # A good token from another address is unaffected.
    assert token_client("10.0.0.10").get("/api/v1/teams/").status_code == 200


def test_signed_in_users_are_counted_after_authentication(user_client, low_rates):
    codes = [user_client.get("/api/v1/teams/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert user_client.get("/api/v1/teams/")["Retry-After"] == "50"


def test_rates_name_their_shape():
    assert throttling.parse_rate("1200/minute") == throttling.Rate(1200, 60, "1200/minute")
    assert throttling.parse_rate("20/s") == throttling.Rate(20, 1, "20/s")
    assert throttling.parse_rate("200/10s") == throttling.Rate(200, 10, "200/10s")
    for bad in ("", "1200", "0/minute", "20/0s", "many/minute", "20/fortnight"):
        with pytest.raises(ValueError, match="<count>/<period>"):
            throttling.parse_rate(bad)


@pytest.fixture
def counting_cache(settings, clock):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {"BACKEND": "tests.portal.test_throttling.CountingCache"},
    }
    settings.ROTA_API_THROTTLE_CACHE = "throttle"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000/minute", "anon": "1000/minute"},
    }
    caches["throttle"].clear()
    CountingCache.calls = []
    yield CountingCache.calls
    caches["throttle"].clear()


def operations_per_request(client, calls, path, n):
    counts = []
    for _ in range(n):
        before = len(calls)
        assert client.get(path).status_code == 200
        counts.append(len(calls) - before)
    return counts


def test_a_token_costs_the_same_cache_operations_however_many_came_before(counting_cache):
    counts = operations_per_request(token_client(), counting_cache, "/api/v1/teams/", 50)
    # The first of the window: incr (missing), add, get (refused tokens of the address), and
    # the token's voucher, written once a minute when its use is recorded (set); then incr
    # and get, however long the window's count grows.
    assert counts == [4] + [2] * 49


def test_an_anonymous_caller_costs_one_cache_operation_a_request(counting_cache):
    counts = operations_per_request(APIClient(), counting_cache, "/api/schema/", 30)
    assert counts == [2] + [1] * 29


@pytest.fixture
def redis_cache(settings, clock, monkeypatch):
    """The throttle counts in Redis database 13; the fixture counts the round trips to it."""
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"These tests need Redis at {REDIS_URL}: {exc}")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
    }
    settings.ROTA_API_THROTTLE_CACHE = "throttle"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "5/minute", "anon": "2/minute"},
    }
    # Connect first: opening a connection takes round trips of its own (HELLO, CLIENT ...).
    caches["throttle"]._cache.get_client(write=True).ping()
    trips = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        trips.append(1)
        return send(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    yield trips
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_with_redis_each_request_is_one_round_trip(redis_cache):
    client = token_client()
    codes, trips = [], []
    for _ in range(7):
        before = len(redis_cache)
        codes.append(client.get("/api/v1/teams/").status_code)
        trips.append(len(redis_cache) - before)
    assert codes == [200] * 5 + [429] * 2
    # One round trip a request, and one more the first time in a minute a token is served:
    # its voucher (core.throttling.vouch).
    assert trips == [2] + [1] * 6
    # The counter lives no longer than its window.
    store = redis.Redis.from_url(REDIS_URL)
    (key,) = store.keys("*api-rate:token:*")
    assert int(store.get(key)) == 7
    assert 0 < store.ttl(key) <= 60


def test_a_revoked_token_polling_from_an_address_does_not_lock_out_good_tokens(low_rates):
    # A CI runner (one address) holds a good token in use and a stale one that was revoked.
    user = UserFactory()
    _, good = AuthToken.objects.create(user)
    stale, stale_key = AuthToken.objects.create(user)
    runner = token_client("10.0.0.20", token=good)
    assert runner.get("/api/v1/teams/").status_code == 200  # used: vouched for
    stale.delete()
    bot = token_client("10.0.0.20", token=stale_key)
    # anon is 2/minute: two 401s reach the address's limit, the third is refused unchecked.
    assert [bot.get("/api/v1/teams/").status_code for _ in range(3)] == [401, 401, 429]
    # The good token, which authenticated lately, still gets through (user rate 3/minute:
    # its second and third calls of the minute).
    assert [runner.get("/api/v1/teams/").status_code for _ in range(2)] == [200, 200]
    # A token never seen before from that address is refused until the window ends (it
    # could be a guess); from another address it is served.
    _, fresh = AuthToken.objects.create(UserFactory())
    assert token_client("10.0.0.20", token=fresh).get("/api/v1/teams/").status_code == 429
    assert token_client("10.0.0.21", token=fresh).get("/api/v1/teams/").status_code == 200


def test_revoking_a_token_withdraws_its_voucher(low_rates):
    token, key = AuthToken.objects.create(UserFactory())
    client = token_client("10.0.0.30", token=key)
    assert client.get("/api/v1/teams/").status_code == 200
    assert throttling.vouched(throttling.token_ident(key))
    token.delete()
    assert not throttling.vouched(throttling.token_ident(key))
    # Now refused like any stale token: two 401s, then 429 without a check.
    assert [client.get("/api/v1/teams/").status_code for _ in range(3)] == [401, 401, 429]
