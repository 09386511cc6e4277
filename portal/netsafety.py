"""Outbound HTTP to addresses users typed in (calendar imports, chat webhooks), made safe.

A user-supplied URL must not make the server reach its own private network (cloud metadata
endpoints, databases, admin interfaces). Every host, and every redirect target, must resolve
only to public addresses, unless it is listed in ROTA_OUTBOUND_ALLOWED_HOSTS.

``validate_webhook_url`` applies the same rule when a webhook address is saved (a team's, a
person's, a buffer alert's), so a private address is refused on the form or in the API
rather than failing later when a page or reminder is sent.
"""

import ipaddress
import socket
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
    host = _shorthand_ipv4(value)
    if host is not None and not _public(host):
        # "http://2130706433/", "http://127.1/": an address in a form URLValidator does not
        # know; say what it is rather than "Enter a valid URL."
        raise ValidationError(
            f"The host {urlsplit(value).hostname} is {host}, not a public address. "
            "Webhooks may only point at public addresses.",
            code="private_address",
        )
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


def safe_urlopen(request: urllib.request.Request, *, timeout: float):
    """urlopen for user-supplied URLs: public hosts only, redirects checked too."""
    check_public_url(request.full_url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    return opener.open(request, timeout=timeout)
