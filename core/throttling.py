"""API rate limits: one fixed-window counter per client in the shared cache, O(1) a request.

DRF's own throttles keep a list of request times per client (work and cache size grow with
the rate) and read and write it back (two cache round trips), after authentication. Here
each client has one integer per window, counted with one atomic increment: on Redis one
round trip (``SET NX EX`` and ``INCR`` in one pipeline), elsewhere ``incr`` (``add`` on the
first request of a window). A limit of N per window admits N requests between two window
boundaries, which fall on multiples of the window's length in Unix time.

Who is counted:

* ``Authorization: Token <key>``: the token (by a hash of it), at the ``user`` rate, counted
  by ``ApiThrottleMiddleware`` *before* authentication, so a client over its limit is
  refused without a database query. A request whose token is refused (401) counts against
  its address's ``anon`` rate, and an address over it is refused before authentication too.
* no credentials at all (no Authorization header, no session cookie): the client address,
  at the ``anon`` rate, also before authentication.
* anything else (a session cookie, another scheme): after authentication, by
  ``ApiRateThrottle``: a signed-in user by id at the ``user`` rate, else the address.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``anon`` and ``user``), as
``<count>/<period>``: ``second``, ``minute``, ``hour``, ``day`` (or their first letter), or
seconds with a multiplier, ``200/10s``. A view opts out with its own ``throttle_classes``.
"""

import functools
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import JsonResponse
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from core import caches as process_caches

CACHE_PREFIX = "api-rate"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)
# Set on the Django request once the middleware has counted it, so the DRF throttle does not
# count it again.
_COUNTED = "_rota_api_rate_counted"
_CALLER_ADDRESS = "_rota_api_rate_credential_address"


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``window`` seconds; ``text`` is the setting as written."""

    limit: int
    window: int
    text: str


@functools.lru_cache(maxsize=32)
def parse_rate(text: str) -> Rate:
    """Parse ``"1200/minute"``, ``"20/s"`` or ``"200/10s"`` into a Rate.

    Raises ValueError naming the setting's expected shape when ``text`` is not one of them.
    """
    match = _RATE.match(text or "")
    if match is None or int(match.group(1)) < 1 or match.group(2) == "0":
        raise ValueError(
            f"API rate {text!r} is not <count>/<period>, e.g. 1200/minute, 20/second or 200/10s."
        )
    multiplier = int(match.group(2) or 1)
    return Rate(int(match.group(1)), multiplier * PERIODS[match.group(3).lower()], text.strip())


process_caches.register("core.throttling.parse_rate", parse_rate.cache_clear)


@dataclass(frozen=True)
class Decision:
    """The outcome of counting one request: refused when ``count`` exceeds the rate's limit.

    ``retry_after`` is whole seconds until the window ends (at least 1); ``scope`` is
    ``"user"`` or ``"anon"``.
    """

    allowed: bool
    scope: str
    rate: Rate
    count: int
    retry_after: int

    def body(self) -> dict:
        """The JSON answered with 429: ``detail``, ``scope``, ``limit`` and ``retry_after``."""
        who = "this token or user" if self.scope == "user" else "this address"
        return {
            "detail": (
                f"Too many requests: the limit for {who} is {self.rate.text}; "
                f"retry in {self.retry_after} s."
            ),
            "scope": self.scope,
            "limit": self.rate.text,
            "retry_after": self.retry_after,
        }


def rate_for(scope: str) -> Rate:
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES") or {}
    return parse_rate(rates[scope])


def _cache():
    return caches[settings.ROTA_API_THROTTLE_CACHE]


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """Return the window's number and the whole seconds (>= 1) left in it at ``now``."""
    number = int(now // rate.window)
    return number, max(1, math.ceil((number + 1) * rate.window - now))


def _increment(key: str, ttl: int, peek: str | None = None) -> tuple[int, int]:
    """Add one to the counter ``key`` (created with ``ttl`` seconds to live); return it,
    with the counter ``peek`` read in the same round trip where the backend allows (0 if
    absent or not asked for)."""
    cache = _cache()
    if isinstance(cache, RedisCache):
        # One round trip: create the counter at 0 with its expiry unless it exists, add one.
        # Django's RedisCache.incr would ask EXISTS first, and add() would be a third trip.
        full = cache.make_and_validate_key(key)
        pipe = cache._cache.get_client(full, write=True).pipeline(transaction=False)
        pipe.set(full, 0, ex=ttl, nx=True)
        pipe.incr(full)
        if peek is not None:
            pipe.get(cache.make_and_validate_key(peek))
        replies = pipe.execute()
        return int(replies[1]), int(replies[2] or 0) if peek is not None else 0
    try:
        count = cache.incr(key)
    except ValueError:  # the first request of the window (or the counter just expired)
        count = 1 if cache.add(key, 1, timeout=ttl) else cache.incr(key)
    return count, (int(cache.get(peek) or 0) if peek is not None else 0)


def count_in_window(key: str, *, limit: int, window: int, now: float) -> tuple[int, int]:
    """Count one request under ``key`` in the fixed ``window`` (seconds) holding ``now`` (a
    POSIX timestamp); return (requests counted in the window, whole seconds left in it).

    The caller refuses when the first number passes its ``limit``; one cache round trip on Redis.
    """
    number, left = _window(Rate(limit, window, f"{limit}/{window}s"), now)
    hits, _ = _increment(f"{CACHE_PREFIX}:{key}:{window}:{number}", window)
    return hits, left


def count(
    scope: str, ident: str, *, failures_of: str | None = None, now: float | None = None
) -> Decision:
    """Count one request of ``ident`` at the ``scope`` rate; return the Decision.

    With ``failures_of`` (a client address), the request is also refused, at the ``anon``
    rate, when that address's refused credentials already reached it this window. ``now``
    is a POSIX timestamp (default: the current time).
    """
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES") or {}
    rate = parse_rate(rates[scope])
    if now is None:
        now = timezone.now().timestamp()
    number, left = _window(rate, now)
    peek = None
    if failures_of is not None:
        anon = parse_rate(rates["anon"])
        fail_number, fail_left = _window(anon, now)
        peek = f"{CACHE_PREFIX}:bad:{failures_of}:{anon.window}:{fail_number}"
    hits, failures = _increment(f"{CACHE_PREFIX}:{ident}:{rate.window}:{number}", rate.window, peek)
    if peek is not None and failures >= anon.limit and not vouched(ident):
        return Decision(False, "anon", anon, failures, fail_left)
    return Decision(hits <= rate.limit, scope, rate, hits, left)


def count_failure(address: str) -> None:
    """Count refused credentials from ``address`` against its ``anon`` rate."""
    anon = rate_for("anon")
    number, _ = _window(anon, timezone.now().timestamp())
    _increment(f"{CACHE_PREFIX}:bad:{address}:{anon.window}:{number}", anon.window)


def client_ip(request) -> str:
    """Return the client's address: behind ROTA_TRUSTED_PROXY_COUNT proxies the entry that
    many places from the right of X-Forwarded-For, else REMOTE_ADDR (the rule of
    ``portal.login_limits.client_ip``, which sign-in limits use)."""
    return client_ip_of(request.META)


def client_ip_of(meta) -> str:
    """``client_ip`` of a request's META (or a WSGI environ)."""
    proxies = getattr(settings, "ROTA_TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [
            p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return meta.get("REMOTE_ADDR") or "unknown"


def token_ident(token: str) -> str:
    """The name a token is counted under: a hash of it, never the token itself."""
    return ident_of_digest(hash_token(token))


def ident_of_digest(digest: str) -> str:
    """``token_ident`` of the token whose stored digest (knox's hash of it) is ``digest``."""
    return f"token:{digest[:32]}"


# How long a token that authenticated stays vouched for (``vouch``): three times the
# interval at which a token in use is vouched for again (portal.tokens.LAST_USED_EVERY).
VOUCHED_SECONDS = 180


def vouch(ident: str) -> None:
    """Remember that the token counted as ``ident`` authenticated lately.

    An address past its limit of refused credentials is refused before its tokens are
    checked, but a vouched token still gets through: one revoked token polling from a
    shared address (a CI runner, a NAT) must not lock out the good tokens beside it. Call
    it at most once a minute per token (it is one cache write).
    """
    _cache().set(f"{CACHE_PREFIX}:good:{ident}", 1, timeout=VOUCHED_SECONDS)


def unvouch(ident: str) -> None:
    """Forget ``vouch(ident)``: the token was revoked."""
    _cache().delete(f"{CACHE_PREFIX}:good:{ident}")


def vouched(ident: str) -> bool:
    """Whether the token counted as ``ident`` authenticated within ``VOUCHED_SECONDS``."""
    return ident.startswith("token:") and bool(_cache().get(f"{CACHE_PREFIX}:good:{ident}"))


def _token(request) -> str | None:
    """Return the token of ``Authorization: Token <key>``, '' for another scheme, None if
    there is no Authorization header."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    scheme = getattr(settings, "REST_KNOX", {}).get("AUTH_HEADER_PREFIX", "Token")
    parts = header.split()
    if len(parts) == 2 and parts[0].lower() == scheme.lower():
        return parts[1]
    return ""


def count_before_authentication(request) -> Decision | None:
    """Count ``request`` from its headers alone, if they tell who sends it; else None.

    Tokens are counted at the ``user`` rate by a hash of the token (a client cannot spend
    another's budget without holding its token); requests without any credentials at the
    ``anon`` rate by address.
    """
    if getattr(request, "_force_auth_user", None) is not None:
        return None  # DRF's test client authenticated it without credentials: count after
    token = _token(request)
    if token:
        setattr(request, _CALLER_ADDRESS, address := client_ip(request))
        return count("user", token_ident(token), failures_of=address)
    if token is None and settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return count("anon", f"ip:{client_ip(request)}")
    return None


def refused(decision: Decision) -> JsonResponse:
    """Return the 429 response for a refused ``decision``, with Retry-After in seconds."""
    response = JsonResponse(decision.body(), status=429)
    response["Retry-After"] = str(decision.retry_after)
    # Not logged one line a request by django.request: a client polling past its limit
    # would flood the log, and refusing is meant to cost next to nothing.
    response._has_been_logged = True
    return response


class ApiRateThrottle(BaseThrottle):
    """DRF throttle: counts the requests the middleware has not (session cookies, other
    schemes, or views called without the middleware); raises Throttled, answered as 429
    with Retry-After and ``Decision.body()``."""

    def allow_request(self, request, view) -> bool:
        django_request = getattr(request, "_request", request)
        if getattr(django_request, _COUNTED, False):
            return True
        decision = count_before_authentication(django_request)
        if decision is None:
            user = request.user
            if user is not None and user.is_authenticated:
                decision = count("user", f"user:{user.pk}")
            else:
                decision = count("anon", f"ip:{client_ip(django_request)}")
        setattr(django_request, _COUNTED, True)
        if not decision.allowed:
            exc = Throttled(detail=decision.body())
            exc.wait = decision.retry_after
            raise exc
        return True


class ApiThrottleMiddleware:
    """Count API requests before authentication (see the module's docstring) and answer
    429 at once to a client over its limit; count a refused token against its address.

    Applies to DRF views whose ``throttle_classes`` include ApiRateThrottle (the default).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        address = getattr(request, _CALLER_ADDRESS, None)
        if address is not None and response.status_code == 401:
            count_failure(address)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        throttles = getattr(view_class, "throttle_classes", ())
        if not any(isinstance(t, type) and issubclass(t, ApiRateThrottle) for t in throttles):
            return None
        decision = count_before_authentication(request)
        if decision is None:
            return None
        setattr(request, _COUNTED, True)
        return None if decision.allowed else refused(decision)
