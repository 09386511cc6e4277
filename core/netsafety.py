"""Outbound HTTP to addresses users typed in (calendar imports, chat webhooks), made safe.

A user-supplied URL must not make the server reach its own private network (cloud metadata
endpoints, databases, admin interfaces). Every host, and every redirect target, must resolve
only to public addresses, unless it is listed in ROTA_OUTBOUND_ALLOWED_HOSTS.

``validate_webhook_url`` applies the same rule when a webhook address is saved (a team's, a
person's, a buffer alert's), so a private address is refused on the form or in the API
rather than failing later when a page or reminder is sent.

An IPv6 address that carries an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48`` (RFC 6052, RFC 8215), 6to4
``2002::/16`` (RFC 3056), Teredo ``2001::/32`` (RFC 4380)) is public only when the IPv4
address inside is: a relay or translator would deliver it there.

``safe_urlopen`` resolves each host once, checks every address, and connects to the address
it checked (the TLS server name and ``Host`` header stay the name), so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot reach a private host.
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


# IPv6 prefixes whose last 32 bits are an IPv4 address (besides ::ffff:0:0/96, 2002::/16 and
# Teredo, which ``ipaddress`` decodes itself).
_V4_IN_LAST_32_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052)
    ipaddress.ip_network("64:ff9b:1::/48"),  # NAT64 local use (RFC 8215)
    ipaddress.ip_network("::/96"),  # IPv4-compatible (RFC 4291 2.5.5.1, deprecated)
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765 2.1, SIIT)
)


def embedded_ipv4(ip) -> list[ipaddress.IPv4Address]:
    """Return the IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo...)."""
    if ip.version != 6:
        return []
    found = [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
    if ip.teredo:
        found.extend(ip.teredo)  # the Teredo server and the client's (de-obfuscated) address
    if ip.ipv4_mapped is None and any(ip in net for net in _V4_IN_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return all(each.is_global and not each.is_multicast for each in (ip, *embedded_ipv4(ip)))


def check_public_url(url: str) -> list[str]:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address.

    Return the checked addresses the host resolved to (the address itself for an IP
    literal; empty for a host in ``ROTA_OUTBOUND_ALLOWED_HOSTS``, which is not checked).
    Raise ``UnsafeURL`` saying why (``UnresolvedHost`` when the name does not resolve).
    """
    parts = urlsplit(url)
    try:
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        hostname = port = None
    if parts.scheme not in ("http", "https") or not hostname:
        raise UnsafeURL("Only http and https addresses are allowed.")
    host = hostname.lower().rstrip(".")
    if host in _allowed_hosts():
        return []
    try:
        public = _public(host)
    except ValueError:
        public = None  # a name, not an address
    if public is not None:
        if not public:
            raise UnsafeURL(f"The host {host} is not a public address.")
        return [host]  # a public IP address, written as such
    if host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES):
        raise UnsafeURL(f"The host {host} is a name on a private network, not a public address.")
    default_port = 443 if parts.scheme == "https" else 80
    try:
        infos = socket.getaddrinfo(host, port or default_port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHost(f"The host {host} could not be resolved.") from exc
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        if not _public(address):
            raise UnsafeURL(f"The host {host} is not a public address.")
    if not addresses:
        raise UnresolvedHost(f"The host {host} could not be resolved.")
    return addresses


_validate_http_url = URLValidator(schemes=["http", "https"])


def _shorthand_ipv4(url: str) -> str | None:
    """Return the dotted address of a host written as a number or shortened ("2130706433",
    "127.1", "0x7f.1", read as inet_aton(3) reads them), else None."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    if not host or not all(c in "0123456789abcdefx." for c in host.lower()):
        return None
    try:
        dotted = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None
    return None if dotted == host else dotted  # a plain dotted quad is checked as usual


_is_url = URLValidator()  # what every URL field (Django's, DRF's) checks on its own


def validate_webhook_url(value: str) -> None:
    """Validate a webhook address as it is saved: http(s), and a public host.

    The validator of every webhook field (teams, people, buffer alerts). It refuses, with
    ``ValidationError`` (code ``private_address``), an address whose host is an IP address or
    a name of a private, loopback or link-local network, or that resolves to one
    (``ROTA_OUTBOUND_ALLOWED_HOSTS`` lists exceptions), and one that is not http(s). A value
    that is no URL at all is left to the URL field's own validator, so it is told "Enter a
    valid URL." once; outside a URL field use :func:`validate_webhook_address`. A name that
    does not resolve now is accepted: DNS may be down for a moment, and the same check runs
    again, with the redirects, whenever a message is sent.
    """
    if not value:
        return
    host = _shorthand_ipv4(value)
    if host is not None and not _public(host):
        # "http://2130706433/", "http://127.1/": an address in a form URLValidator does not
        # know; say what it is rather than "Enter a valid URL."
        raise ValidationError(
            f"The host {urlsplit(value).hostname} is {host}, not a public address. "
            "Webhooks may only point at public addresses.",
            code="private_address",
        )
    try:
        _is_url(value)
    except ValidationError:
        return  # the URL field says so itself
    _validate_http_url(value)
    try:
        check_public_url(value)
    except UnresolvedHost:
        return
    except UnsafeURL as exc:
        raise ValidationError(
            f"{exc} Webhooks may only point at public addresses.", code="private_address"
        ) from None


def validate_webhook_address(value: str) -> None:
    """:func:`validate_webhook_url` for a value outside a URL field (the catalog import):
    also refuses text that is no URL ("Enter a valid URL.")."""
    if value:
        _validate_http_url(value)
    validate_webhook_url(value)


def _pinned(connection_class, address: str | None):
    """Return a connection factory that connects to ``address`` instead of resolving again.

    The connection keeps the name as its host, so the ``Host`` header, the TLS server name
    and certificate check are those of the name.
    """

    def make(host, **kwargs):
        connection = connection_class(host, **kwargs)
        if address is not None:
            create = connection._create_connection  # socket.create_connection, per instance

            def connect_to_checked(host_port, *args, **kw):
                return create((address, host_port[1]), *args, **kw)

            connection._create_connection = connect_to_checked
        return connection

    return make


def _checked_address(request) -> str | None:
    addresses = check_public_url(request.full_url)
    return addresses[0] if addresses else None


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

    def passed(self) -> bool:
        """Whether the deadline has come (a socket timeout set to what was left ends with it)."""
        if time.monotonic() >= self.ends - 0.05:
            self.expired = True
        return self.expired

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


def _under_deadline(factory, deadline: _Deadline):
    def make(*args, **kwargs):
        connection = factory(*args, **kwargs)
        connection.deadline = deadline
        return connection

    return make


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    """Connect to the checked address of each request, under the exchange's deadline."""

    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        factory = _pinned(_HTTPConnection, _checked_address(req))
        return self.do_open(_under_deadline(factory, self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    """The same for https: the TLS name and certificate check stay the host name's."""

    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        kwargs = {"context": self._context}
        if hasattr(self, "_check_hostname"):  # Python < 3.12
            kwargs["check_hostname"] = self._check_hostname
        factory = _pinned(_HTTPSConnection, _checked_address(req))
        return self.do_open(_under_deadline(factory, self.deadline), req, **kwargs)


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
            if self.deadline.passed() and not isinstance(exc, urllib.error.HTTPError):
                raise self._exceeded() from exc
            raise
        return self.response

    def __exit__(self, kind, exc, tb):
        self._finish()
        if self.deadline.passed():
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

    Use as a context manager yielding the response. Each request (the first and every
    redirect) resolves its host once, checks every address and connects to the first of them;
    no proxy is used (it would resolve the name again). ``timeout`` (seconds) bounds the whole
    exchange: connecting, redirects, the answer's headers and reading its body inside the
    ``with`` block. Raise ``UnsafeURL`` for a refused address, ``DeadlineExceeded`` (a
    ``TimeoutError``) when the time ran out, and what ``urllib.request.urlopen`` raises
    otherwise. Name resolution is bounded by the system resolver's own timeouts.
    """
    if urlsplit(request.full_url).scheme not in ("http", "https"):
        raise UnsafeURL("Only http and https addresses are allowed.")
    deadline = _Deadline(timeout)
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.UnknownHandler(),
        _DeadlineHTTPHandler(deadline),
        _DeadlineHTTPSHandler(deadline),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return _Exchange(opener, request, deadline)
