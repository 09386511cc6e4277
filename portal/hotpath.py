"""The hot path: "who is on call now" and "who owns this path" for API tokens, as bytes.

Tools poll ``GET /api/v1/oncall/?component=C`` (or ``team=T``, ``rotation=R``, without
``at``) and ``GET /api/v1/ownership/?path=P`` with ``Authorization: Token <key>`` far more
often than anything else. ``HotPathApp`` wraps Django's WSGI application and answers those
requests itself, before any middleware, when it can answer them exactly as the DRF views
would (same status, headers and bytes); every other request, and any it cannot answer
exactly (another method, a query it does not know, an unknown target, a refused or unknown
token, a session cookie, an ``Accept`` other than JSON), goes to Django unchanged.

What a process keeps (``HotPathState``, one per application object, so two of them behave
as two processes):

* the tokens it authenticated (knox digest → user id, expiry), checked in the database the
  first time and again once a minute (``TOKEN_RECHECK_SECONDS``);
* the rendered answers, by path and query string, with the version tags they hold for and
  the instant the on-call answer changes by itself (the next shift boundary);
* the version tags of the rota, the catalog and API authentication (``ApiAuthVersion``,
  replaced when a token is revoked or its user deactivated), read in one query at most once
  per ``ROTA_HOT_PATH_CHECK_SECONDS`` (default 1 s), and at once after this process changed
  any of them itself (``core.caches.local_changes``).

So a revoked token, a deactivated user or an edit made through another process is seen
within the check interval, and a request costs no query while nothing changed. The rate
limit (``core.throttling``) is counted exactly as the middleware counts it, and the token's
last use is recorded at most once a minute per token and process.
"""

import datetime
import logging
import math
import time
import weakref

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.db import DatabaseError, connection
from django.http import QueryDict
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.renderers import JSONRenderer

from core import caches, throttling
from ownership import selectors as ownership_selectors
from ownership.api.serializers import PathOwnershipSerializer, PathQuerySerializer
from ownership.api.views import OwnershipLookupView
from ownership.models import CatalogVersion
from rota import routing_cache
from rota.api.oncall import OnCallQuerySerializer, OnCallSerializer, OnCallView
from rota.models import RotaVersion

from .authentication import ApiTokenAuthentication
from .hotpath_headers import HeaderTemplates
from .models import ApiAuthVersion
from .tokens import LAST_USED_EVERY, api_token_used

logger = logging.getLogger(__name__)

ONCALL = "/api/v1/oncall/"
OWNERSHIP = "/api/v1/ownership/"
# What DRF's content negotiation answers with its JSON renderer, as JSONRenderer renders it.
JSON_ACCEPTS = frozenset({None, "*/*", "application/json"})
CHECK_SECONDS = 1.0
# A token is checked in the database again after this long whatever the tags say: the bound
# for a change no receiver hears of (a user deactivated by a bulk UPDATE, a row deleted in SQL).
TOKEN_RECHECK_SECONDS = 60.0
_MAX_ENTRIES = 20_000
_FOREVER = datetime.datetime.max.replace(tzinfo=datetime.UTC)
_AT = "rota-hot-path-at"  # stands for the instant while an on-call answer is rendered

_states: "weakref.WeakSet[HotPathState]" = weakref.WeakSet()


def _clear_all() -> None:
    for state in list(_states):
        state.clear()


caches.register("portal.hotpath", _clear_all)


def versions() -> tuple:
    """Return (rota tag, catalog version, API authentication tag): one query."""
    quote = connection.ops.quote_name
    tables = [quote(m._meta.db_table) for m in (RotaVersion, CatalogVersion, ApiAuthVersion)]
    # Only the models' own quoted table names are interpolated.
    sql = (
        f"SELECT (SELECT tag FROM {tables[0]} WHERE id = 1),"  # noqa: S608
        f" (SELECT version FROM {tables[1]} WHERE id = 1),"
        f" (SELECT tag FROM {tables[2]} WHERE id = 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


class Token:
    """A token this process authenticated: whom it stands for and its throttle counter."""

    __slots__ = ("digest", "expiry", "ident", "mark_at", "recheck_at", "user_id")

    def __init__(self, *, digest, user_id, expiry, ident, mark_at, recheck_at):
        self.digest, self.user_id, self.expiry = digest, user_id, expiry
        self.ident, self.mark_at, self.recheck_at = ident, mark_at, recheck_at


class Answer:
    """A rendered answer: ``head`` alone, or ``head`` + the instant + ``tail`` (on call).

    It holds while the version tags equal ``versions`` and until ``until`` (aware datetime).
    """

    __slots__ = ("head", "tail", "until", "versions")

    def __init__(self, *, head, tail, until, versions):
        self.head, self.tail, self.until, self.versions = head, tail, until, versions


class HotPathState:
    """One process's tokens, answers, header templates and version tags.

    ``clock`` (seconds, monotonic) times the check interval: tests pass their own to show how
    stale an answer may be. ``interval`` is the check interval in seconds. ``local_changes``
    counts this process's own version changes (``core.caches.local_changes``); a test gives a
    second state a counter that never moves, and so a process of its own.
    """

    def __init__(
        self, *, clock=time.monotonic, interval: float = CHECK_SECONDS, local_changes=None
    ):
        self.clock, self.interval = clock, interval
        self.local_changes = local_changes or caches.local_changes
        self.tokens: dict[str, Token] = {}
        self.answers: dict[tuple, Answer] = {}
        self.templates: dict[tuple, object] = {}
        self.clear()
        _states.add(self)

    def clear(self) -> None:
        """Forget everything (in place: the header templates keep a reference to theirs)."""
        self.tokens.clear()
        self.answers.clear()
        self.templates.clear()
        self.versions: tuple | None = None
        self.checked_at = -math.inf
        self.changes_seen = -1
        self.queries = 0  # version checks made, for tests and the benchmark

    def refresh(self) -> None:
        """Read the version tags if the interval passed or this process changed one.

        A new authentication tag forgets every token: the next request of each is checked
        in the database again.
        """
        now, changes = self.clock(), self.local_changes()
        if changes == self.changes_seen and now - self.checked_at < self.interval:
            return
        # Timed from before the read: a change committed after it is seen at the next check.
        self.checked_at, self.changes_seen = now, changes
        fresh = versions()
        self.queries += 1
        if self.versions is None or fresh[2] != self.versions[2]:
            self.tokens.clear()
        self.versions = fresh

    def remember(self, store: dict, key, value) -> None:
        if len(store) >= _MAX_ENTRIES:
            store.clear()
        store[key] = value


class HotPathApp:
    """WSGI application: answers the hot requests itself and passes the rest to ``django``.

    ``enabled`` (default: the ``ROTA_HOT_PATH`` setting, True) turns the hot path off;
    ``clock``, ``interval`` (default ``ROTA_HOT_PATH_CHECK_SECONDS``) and ``local_changes``
    are given to the state.
    """

    def __init__(
        self, django, *, enabled=None, clock=time.monotonic, interval=None, local_changes=None
    ):
        self.django = django
        self.enabled = getattr(settings, "ROTA_HOT_PATH", True) if enabled is None else enabled
        views = {ONCALL: OnCallView, OWNERSHIP: OwnershipLookupView}
        # Answers are rendered as JSONRenderer renders them: only while the views pick it for
        # a client that asks for JSON or for anything.
        if any(view.renderer_classes[0] is not JSONRenderer for view in views.values()):
            self.enabled = False
        if interval is None:
            interval = getattr(settings, "ROTA_HOT_PATH_CHECK_SECONDS", CHECK_SECONDS)
        self.state = HotPathState(clock=clock, interval=interval, local_changes=local_changes)
        self.scheme = settings.REST_KNOX.get("AUTH_HEADER_PREFIX", "Token").lower()
        self.session_cookie = settings.SESSION_COOKIE_NAME
        self.headers = HeaderTemplates(self.state.templates, views)
        self.utc = settings.TIME_ZONE == "UTC"
        self.renderer = JSONRenderer()
        self.at_field = serializers.DateTimeField()

    def __call__(self, environ, start_response):
        if self.enabled:
            try:
                answered = self.answer(environ)
            except (DatabaseError, SuspiciousOperation):
                # Django answers these: 503 when the database is down, 400 for a query string
                # with too many fields.
                answered = None
            except Exception:
                logger.exception("The hot path failed; Django answers the request.")
                answered = None
            if answered is not None:
                status, headers, body = answered
                start_response(status, headers)
                return [body]
        return self.django(environ, start_response)

    def answer(self, environ) -> tuple | None:
        """Return (status, headers, body) for a request the hot path answers, else None."""
        path = environ.get("PATH_INFO")
        if path != ONCALL and path != OWNERSHIP:
            return None
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("SCRIPT_NAME"):
            return None
        if environ.get("HTTP_ACCEPT") not in JSON_ACCEPTS:
            return None
        header = environ.get("HTTP_AUTHORIZATION")
        if header is None or not header.isascii():
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.scheme:
            return None
        cookie = environ.get("HTTP_COOKIE")
        if cookie is not None and self.session_cookie in cookie:
            return None  # signed in with a session too: Django decides as it always does
        state = self.state
        template = self.headers.template(environ, path)
        if template is None:
            return None
        state.refresh()
        key = parts[1]
        digest = hash_token(key)
        token = state.tokens.get(digest)
        if token is None or token.recheck_at <= state.clock():
            token = self.authenticate(key)
            if token is None:
                return None
        now = timezone.now()
        if token.expiry is not None and token.expiry <= now:
            state.tokens.pop(digest, None)
            return None
        query_string = environ.get("QUERY_STRING", "")
        answer = state.answers.get((path, query_string))
        if answer is None or now >= answer.until or answer.versions != _wanted(answer, state):
            answer = self.build(path, query_string)
            if answer is None:
                return None
        # Counted only now, as the middleware counts a request Django would answer, so that a
        # request handed to Django is never counted twice.
        decision = throttling.count(
            "user", token.ident, failures_of=throttling.client_ip_of(environ), now=now.timestamp()
        )
        if not decision.allowed:
            return self.headers.refused(template, decision)
        if token.mark_at <= state.clock():
            self.mark_used(token)
        body = answer.head if answer.tail is None else answer.head + self.at_text(now) + answer.tail
        before, after = template[1], template[2]
        return "200 OK", [*before, ("Content-Length", str(len(body))), *after], body

    # --- Tokens -------------------------------------------------------------------------------

    def authenticate(self, key: str) -> Token | None:
        """Check ``key`` as DRF would (knox, active user); remember it if it passes."""
        try:
            user, auth_token = ApiTokenAuthentication().authenticate_credentials(key.encode())
        except AuthenticationFailed:
            return None  # Django answers 401 and counts the failure against the address
        token = Token(
            digest=auth_token.digest,
            user_id=user.pk,
            expiry=auth_token.expiry,
            ident=throttling.token_ident(key),
            # authenticate_credentials just recorded the use (portal.tokens.api_token_used)
            mark_at=self.state.clock() + LAST_USED_EVERY.total_seconds(),
            recheck_at=self.state.clock() + TOKEN_RECHECK_SECONDS,
        )
        self.state.remember(self.state.tokens, auth_token.digest, token)
        return token

    def mark_used(self, token: Token) -> None:
        token.mark_at = self.state.clock() + LAST_USED_EVERY.total_seconds()
        api_token_used(digest=token.digest)

    # --- Answers ------------------------------------------------------------------------------

    def build(self, path: str, query_string: str) -> Answer | None:
        """Render the answer to ``path?query_string`` as the view would; None where the view
        would refuse it or where the query is not one the hot path knows."""
        query = QueryDict(query_string.encode("iso-8859-1"), encoding=settings.DEFAULT_CHARSET)
        answer = self.build_oncall(query) if path == ONCALL else self.build_ownership(query)
        if answer is not None:
            self.state.remember(self.state.answers, (path, query_string), answer)
        return answer

    def build_oncall(self, query: QueryDict) -> Answer | None:
        names = list(query)
        if len(names) != 1 or names[0] not in OnCallQuerySerializer.TARGETS:
            return None
        if len(query.getlist(names[0])) != 1:
            return None
        serializer = OnCallQuerySerializer(data=query)
        if not serializer.is_valid():
            return None
        versions = self.state.versions[:2]
        try:
            result, _, until = routing_cache.responders_now_until(
                **{names[0]: serializer.validated_data[names[0]]}
            )
        except ObjectDoesNotExist:
            return None
        data = {**OnCallSerializer(result).data, "at": _AT}
        rendered = self.renderer.render(data, "application/json", {})
        parts = rendered.split(f'"{_AT}"'.encode())
        if len(parts) != 2:
            return None
        return Answer(head=parts[0] + b'"', tail=b'"' + parts[1], until=until, versions=versions)

    def build_ownership(self, query: QueryDict) -> Answer | None:
        if list(query) != ["path"] or len(query.getlist("path")) != 1:
            return None
        serializer = PathQuerySerializer(data=query)
        if not serializer.is_valid():
            return None
        version = self.state.versions[1]
        path = serializer.validated_data["path"]
        found, _ = ownership_selectors.ownership_for_path_versioned(path=path)
        if found is None:
            return None  # the view answers 404
        data = PathOwnershipSerializer(found, context={"request": None}).data
        head = self.renderer.render(dict(data), "application/json", {})
        return Answer(head=head, tail=None, until=_FOREVER, versions=version)

    def at_text(self, now) -> bytes:
        """The instant as DRF writes it: ISO 8601 in the current time zone, UTC as Z."""
        if self.utc:
            text = now.isoformat()
            return (text[:-6] + "Z" if text.endswith("+00:00") else text).encode()
        return self.at_field.to_representation(now).encode()


def _wanted(answer: Answer, state: HotPathState):
    """The tags an answer must hold for: the rota's and the catalog's for on call (it has a
    tail, the instant), the catalog's alone for ownership."""
    return state.versions[:2] if answer.tail is not None else state.versions[1]
