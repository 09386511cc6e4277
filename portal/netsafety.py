"""Outbound HTTP to addresses users typed in (calendar imports, chat webhooks), made safe.

A user-supplied URL must not make the server reach its own private network (cloud metadata
endpoints, databases, admin interfaces). Every host, and every redirect target, must resolve
only to public addresses, unless it is listed in ROTA_OUTBOUND_ALLOWED_HOSTS.
"""

import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(ValueError):
    """The URL points at a private, loopback or otherwise non-public address."""


def _allowed_hosts() -> set[str]:
    return {h.lower() for h in getattr(settings, "ROTA_OUTBOUND_ALLOWED_HOSTS", [])}


def check_public_url(url: str) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("Only http and https addresses are allowed.")
    host = parts.hostname.lower()
    if host in _allowed_hosts():
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host} could not be resolved.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise UnsafeURL(f"The host {host} is not a public address.")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_public_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def safe_urlopen(request: urllib.request.Request, *, timeout: float):
    """urlopen for user-supplied URLs: public hosts only, redirects checked too."""
    check_public_url(request.full_url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    return opener.open(request, timeout=timeout)
