"""Benchmarks of the API's rate limits (core.throttling), run by ``make bench`` (bench/run.py).

A token polls ``/api/v1/teams/``: CPU per call served and per call refused, and the cache
operations (local memory) and Redis round trips a call costs, for Rota's counter and, for
comparison, for DRF's own throttles (a list of request times per client).
"""

import contextlib
import logging
import os
import time

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, override_settings
from django.urls import resolve
from knox.models import AuthToken
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.throttling import ApiRateThrottle

from .harness import Bench, group

PATH = "/api/v1/teams/"
REDIS_URL = os.environ.get("ROTA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


class CountingLocMemCache(LocMemCache):
    """Local memory that counts the operations asked of it (``calls``)."""

    calls = 0

    def get(self, *args, **kwargs):
        CountingLocMemCache.calls += 1
        return super().get(*args, **kwargs)

    def set(self, *args, **kwargs):
        CountingLocMemCache.calls += 1
        return super().set(*args, **kwargs)

    def add(self, *args, **kwargs):
        CountingLocMemCache.calls += 1
        return super().add(*args, **kwargs)

    def incr(self, *args, **kwargs):
        CountingLocMemCache.calls += 1
        return super().incr(*args, **kwargs)


@contextlib.contextmanager
def throttles(kind: str, rate: str):
    """Count the view's calls with ``kind`` ("rota", "drf" or "none") at ``rate`` for tokens."""
    view = resolve(PATH).func.cls
    saved = view.throttle_classes, UserRateThrottle.THROTTLE_RATES
    rates = {"user": rate, "anon": "60/minute"}
    if kind == "none":
        view.throttle_classes = []
    elif kind == "drf":
        view.throttle_classes = [AnonRateThrottle, UserRateThrottle]
        UserRateThrottle.THROTTLE_RATES = AnonRateThrottle.THROTTLE_RATES = rates
    else:
        view.throttle_classes = [ApiRateThrottle]
    try:
        with override_settings(
            REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        ):
            yield
    finally:
        view.throttle_classes, UserRateThrottle.THROTTLE_RATES = saved
        AnonRateThrottle.THROTTLE_RATES = saved[1]


def cpu_per_call(call, n: int) -> float:
    """Return the CPU milliseconds (this process) per call of ``call``, over ``n`` calls."""
    start = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - start) * 1000 / n


def redis_round_trips(call, n: int) -> float:
    """Return the Redis commands sent (round trips) per call of ``call`` over ``n`` calls."""
    connection = redis.connection.AbstractConnection
    send = connection.send_packed_command
    trips = 0

    def counted(self, command, check_health=True):
        nonlocal trips
        trips += 1
        return send(self, command, check_health)

    connection.send_packed_command = counted
    try:
        for _ in range(n):
            call()
    finally:
        connection.send_packed_command = send
    return trips / n


@group("api", "API rate limits: CPU per call served and refused, cache round trips per call")
def bench_api(bench: Bench) -> None:
    # DRF's throttles log every refusal as a warning of django.request: hundreds of lines.
    logging.disable(logging.WARNING)
    try:
        _bench_api(bench)
    finally:
        logging.disable(logging.NOTSET)


def _bench_api(bench: Bench) -> None:
    _, token = AuthToken.objects.create(get_user_model().objects.create(username="bench-poller"))
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def call(expected: int):
        def get():
            response = client.get(PATH)
            if response.status_code != expected:
                raise AssertionError(f"{response.status_code}: {response.content[:200]!r}")

        return get

    served, refused = call(200), call(429)
    # Every cache operation of a call is counted, the throttle's and any other.
    counting = {"default": {"BACKEND": "bench.api.CountingLocMemCache", "LOCATION": "bench-api"}}
    prefix = f"bench-api-{os.getpid()}"

    def on_redis(phase: str):
        """Count in Redis under keys of this phase's own (clear() would empty the database)."""
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{prefix}-{phase}",
        }
        return override_settings(CACHES={"default": cache})

    try:
        redis.Redis.from_url(REDIS_URL).ping()
        has_redis = True
    except redis.RedisError as exc:
        has_redis = False
        bench.note(f"Redis round trips not measured, no Redis at {REDIS_URL}: {exc}")
    # What a call costs the cache without any throttle (the token's last-use mark).
    with override_settings(CACHES=counting), throttles("none", "6000/minute"):
        served()
        before = CountingLocMemCache.calls
        served()
        baseline_ops = CountingLocMemCache.calls - before
    baseline_trips = 0.0
    if has_redis:
        with on_redis("none"), throttles("none", "1/day"):
            served()
            baseline_trips = redis_round_trips(served, 50)
    bench.note(
        f"Without throttles a served call costs {baseline_ops} local-memory cache operations, "
        f"{baseline_trips:.1f} Redis round trips (the token's last-use mark); "
        "the figures below include them"
    )
    for kind, label in (("rota", "Rota's counter"), ("drf", "DRF's throttles")):
        with override_settings(CACHES=counting):
            caches["default"].clear()
            with throttles(kind, "6000/minute"):
                bench.measure(f"{label}: a token's call served", served, repeat=300)
                cpu_served = cpu_per_call(served, 300)
                before = CountingLocMemCache.calls
                served()
                ops_served = CountingLocMemCache.calls - before
            caches["default"].clear()
            with throttles(kind, "1/day"):
                client.get(PATH)  # spends the day's budget
                bench.measure(f"{label}: a token's call refused", refused, repeat=300)
                cpu_refused = cpu_per_call(refused, 300)
                before = CountingLocMemCache.calls
                refused()
                ops_refused = CountingLocMemCache.calls - before
            caches["default"].clear()
        if kind == "rota":
            # Cheap when it refuses: the count comes before authentication and any query.
            bench.target(
                "rate limit: CPU of a refused call",
                cpu_refused,
                unit="ms",
                limit=0.5,
                reference="a served call",
                reference_value=cpu_served,
            )
            bench.target(
                "rate limit: cache operations a call (O(1))",
                ops_served - baseline_ops,
                unit="ops",
                limit=2,
            )
        bench.note(
            f"{label}: CPU {cpu_served:.2f} ms a call served, {cpu_refused:.2f} ms refused "
            f"({cpu_refused / cpu_served:.0%}); local-memory cache operations a call: "
            f"{ops_served} served, {ops_refused} refused (after 600+ calls in the window)"
        )
        if not has_redis:
            continue
        with on_redis(f"{kind}-served"), throttles(kind, "6000/minute"):
            served()  # connects
            trips_served = redis_round_trips(served, 200)
            cpu_served = cpu_per_call(served, 200)
        with on_redis(f"{kind}-refused"), throttles(kind, "1/day"):
            client.get(PATH)
            trips_refused = redis_round_trips(refused, 200)
            cpu_refused = cpu_per_call(refused, 200)
        if kind == "rota":
            bench.target(
                "rate limit: Redis round trips a call, beyond the token's last-use mark",
                trips_served - baseline_trips,
                unit="trips",
                limit=1,
            )
        bench.note(
            f"{label} on Redis: {trips_served:.1f} round trips a call served, "
            f"{trips_refused:.1f} refused; CPU {cpu_served:.2f} ms served, "
            f"{cpu_refused:.2f} ms refused"
        )
    if has_redis:
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"*{prefix}-*"):
            store.delete(key)
