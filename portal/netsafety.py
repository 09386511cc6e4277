"""Outbound HTTP to addresses users typed in (calendar imports, chat webhooks), made safe.

A user-supplied URL must not make the server reach its own private network (cloud metadata
endpoints, databases, admin interfaces). Every host, and every redirect target, must resolve
only to public addresses, unless it is listed in ROTA_OUTBOUND_ALLOWED_HOSTS.

``validate_webhook_url`` applies the same rule when a webhook address is saved (a team's, a
person's, a buffer alert's), so a private address is refused on the form or in the API
rather than failing later when a page or reminder is sent.
"""

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator


class UnsafeURL(ValueError):
    """The URL points at a private, loopback or otherwise non-public address."""


class UnresolvedHost(UnsafeURL):
    """The URL's host name could not be resolved (now: DNS may answer later)."""


# Names that only ever mean a machine of one's own network (RFC 6761, RFC 8375, and the
# suffixes cloud providers use for internal DNS).
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet")


def _allowed_hosts() -> set[str]:
    return {h.lower() for h in getattr(settings, "ROTA_OUTBOUND_ALLOWED_HOSTS", [])}


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def check_public_url(url: str) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address.

    Raise ``UnsafeURL`` saying why (``UnresolvedHost`` when the name does not resolve).
    """
    parts = urlsplit(url)
    try:
        hostname = parts.hostname
    except ValueError:
        hostname = None
    if parts.scheme not in ("http", "https") or not hostname:
        raise UnsafeURL("Only http and https addresses are allowed.")
    host = hostname.lower().rstrip(".")
    if host in _allowed_hosts():
        return
    try:
        public = _public(host)
    except ValueError:
        public = None  # a name, not an address
    if public is not None:
        if not public:
            raise UnsafeURL(f"The host {host} is not a public address.")
        return  # a public IP address, written as such
    if host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES):
        raise UnsafeURL(f"The host {host} is a name on a private network, not a public address.")
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHost(f"The host {host} could not be resolved.") from exc
    for info in infos:
        if not _public(info[4][0]):
            raise UnsafeURL(f"The host {host} is not a public address.")


_validate_http_url = URLValidator(schemes=["http", "https"])


def validate_webhook_url(value: str) -> None:
    """Validate a webhook address as it is saved: http(s), and a public host.

    The one validator of every webhook field (teams, people, buffer alerts) and of the
    catalog import. It refuses, with ``ValidationError`` (code ``private_address``), an
    address whose host is an IP address or a name of a private, loopback or link-local
    network, or that resolves to one (``ROTA_OUTBOUND_ALLOWED_HOSTS`` lists exceptions). A
    name that does not resolve now is accepted: DNS may be down for a moment, and the same
    check runs again, with the redirects, whenever a message is sent.
    """
    if not value:
        return
    _validate_http_url(value)
    try:
        check_public_url(value)
    except UnresolvedHost:
        return
    except UnsafeURL as exc:
        raise ValidationError(
            f"{exc} Webhooks may only point at public addresses.", code="private_address"
        ) from None


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_public_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class DeadlineExceeded(TimeoutError):
    """The exchange (connecting, sending, the answer's headers and body) ran out of time."""


class _Deadline:
    """One monotonic deadline shared by every connection of a request (redirects too).

    A socket timeout bounds each read, not the exchange: a server that answers and then
    sends a byte every few seconds would hold the caller for as long as it likes. So each
    connection opened under the deadline is cut (shut down for reading and writing) by a
    timer when the deadline passes, whatever it is doing; the blocked read returns at once.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets = []
        self._timers = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            self.expired = True
            raise DeadlineExceeded(f"No complete answer within {self.seconds:g} s.")
        return left

    def watch(self, sock) -> None:
        timer = threading.Timer(self.remaining(), self._cut)
        timer.daemon = True
        with self._lock:
            self._sockets.append(sock)
            self._timers.append(timer)
        timer.start()

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                # The plain socket's shutdown, also under TLS: it only ends the stream.
                with contextlib.suppress(OSError):  # closed already
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()


def _deadline_connection(base):
    class Connection(base):
        def connect(self):
            # Connecting may take what is left of the deadline, no more.
            self.timeout = min(self.timeout, self.deadline.remaining())
            super().connect()
            self.deadline.watch(self.sock)

    return Connection


_HTTPConnection = _deadline_connection(http.client.HTTPConnection)
_HTTPSConnection = _deadline_connection(http.client.HTTPSConnection)


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(self._connection, req)

    def _connection(self, *args, **kwargs):
        connection = _HTTPConnection(*args, **kwargs)
        connection.deadline = self.deadline
        return connection


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(self._connection, req, context=self._context)

    def _connection(self, *args, **kwargs):
        connection = _HTTPSConnection(*args, **kwargs)
        connection.deadline = self.deadline
        return connection


class _Exchange:
    """The context of ``safe_urlopen``: the response, and the deadline checked on leaving."""

    def __init__(self, opener, request, deadline: _Deadline):
        self.opener, self.request, self.deadline = opener, request, deadline
        self.response = None

    def __enter__(self):
        try:
            self.response = self.opener.open(self.request, timeout=self.deadline.remaining())
        except BaseException as exc:
            self._finish()
            if self.deadline.expired and not isinstance(exc, urllib.error.HTTPError):
                raise self._exceeded() from exc
            raise
        return self.response

    def __exit__(self, kind, exc, tb):
        self._finish()
        if self.deadline.expired:
            # Whatever the cut left behind (a short body, a reset) is not an answer.
            raise self._exceeded() from exc
        return False

    def _finish(self):
        self.deadline.cancel()
        if self.response is not None:
            self.response.close()

    def _exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"No complete answer within {self.deadline.seconds:g} s.")


def safe_urlopen(request: urllib.request.Request, *, timeout: float):
    """Open a user-supplied URL: public hosts only, redirects checked too, a total deadline.

    Use as a context manager yielding the response. ``timeout`` (seconds) bounds the whole
    exchange: connecting, redirects, the answer's headers and reading its body inside the
    ``with`` block. Raise ``UnsafeURL`` for a refused address, ``DeadlineExceeded`` (a
    ``TimeoutError``) when the time ran out, and what ``urllib.request.urlopen`` raises
    otherwise. Name resolution is bounded by the system resolver's own timeouts.
    """
    check_public_url(request.full_url)
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(
        _CheckedRedirects, _DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline)
    )
    return _Exchange(opener, request, deadline)
