"""Outbound safety: IPv6 forms that carry an IPv4 address, and DNS answers that change.

An IPv6 address with a private IPv4 address inside it (mapped, compatible, NAT64, 6to4,
Teredo) reaches that IPv4 host through the machine's stack or a translator, so it is as
private as the IPv4 address. And a name is resolved once: the connection goes to the
address that was checked, never to a second answer.
"""

import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from core import netsafety
from core.netsafety import UnsafeURL, check_public_url, safe_urlopen, validate_webhook_url
from notifications.models import NotificationPreference
from ownership.models import Team
from tests.ownership.factories import TeamFactory, UserFactory

PUBLIC = "93.184.216.34"  # a global address; never connected to here

# (IPv6 address, how it carries 127.0.0.1 or another private IPv4 address)
EMBEDDING_A_PRIVATE_V4 = [
    pytest.param("::ffff:127.0.0.1", id="ipv4-mapped"),
    pytest.param("::127.0.0.1", id="ipv4-compatible"),
    pytest.param("::a00:5", id="ipv4-compatible-10.0.0.5"),
    pytest.param("64:ff9b::7f00:1", id="nat64"),
    pytest.param("64:ff9b::a9fe:a9fe", id="nat64-metadata-169.254.169.254"),
    pytest.param("64:ff9b:1::7f00:1", id="nat64-local-use"),
    # IPv4-translated (RFC 2765 2.1): ::ffff:0:0:0/96, the last 32 bits 127.0.0.1 / 10.0.0.5.
    pytest.param("::ffff:0:7f00:1", id="ipv4-translated"),
    pytest.param("::ffff:0:a00:5", id="ipv4-translated-10.0.0.5"),
    pytest.param("2002:7f00:1::", id="6to4"),
    pytest.param("2002:a00:5::1", id="6to4-10.0.0.5"),
    # Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted: 80ff:fffe).
    pytest.param("2001:0:4136:e378:8000:63bf:80ff:fffe", id="teredo"),
]


@pytest.fixture(autouse=True)
def checked(settings):
    # The test settings let other tests reach 127.0.0.1; here the rule itself is checked.
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = []


@pytest.mark.parametrize("address", EMBEDDING_A_PRIVATE_V4)
def test_an_ipv6_literal_carrying_a_private_ipv4_is_refused_when_saved_and_sent(address):
    url = f"http://[{address}]/hook"

    with pytest.raises(ValidationError) as raised:
        validate_webhook_url(url)
    assert raised.value.messages[0].startswith(f"The host {address} is not a public address.")
    with pytest.raises(UnsafeURL):
        check_public_url(url)


@pytest.mark.parametrize("address", EMBEDDING_A_PRIVATE_V4)
def test_a_name_resolving_to_such_an_ipv6_address_is_refused(monkeypatch, address):
    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)

    with pytest.raises(ValidationError, match="hooks.example.com is not a public address"):
        validate_webhook_url("https://hooks.example.com/x")


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:8.8.8.8",  # IPv4-mapped public
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "::ffff:0:808:808",  # IPv4-translated 8.8.8.8
        "2002:808:808::1",  # 6to4 of 8.8.8.8
        "2606:4700::1111",  # plain global IPv6
    ],
)
def test_an_ipv6_literal_carrying_a_public_ipv4_is_accepted(address):
    validate_webhook_url(f"https://[{address}]/hook")


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1"])
def test_personal_and_team_webhooks_are_refused_on_save(staff_client, make_client, address):
    url = f"http://[{address}]/hook"
    alice = UserFactory(username="alice")
    team = TeamFactory(slug="payments")

    personal = make_client(alice).patch(
        "/api/v1/me/notification-preferences/", {"chat_webhook_url": url}, format="json"
    )
    team_answer = staff_client.patch(
        f"/api/v1/teams/{team.slug}/", {"chat_webhook_url": url}, format="json"
    )

    assert personal.status_code == 400
    assert personal.json()["chat_webhook_url"][0].startswith(f"The host {address} is not")
    assert team_answer.status_code == 400
    assert team_answer.json()["chat_webhook_url"][0].startswith(f"The host {address} is not")
    assert not NotificationPreference.objects.exclude(chat_webhook_url="").exists()
    assert Team.objects.get().chat_webhook_url == ""


class _Rebinding:
    """A resolver for hooks.example.com: the first answer ``first``, every later one ``then``."""

    def __init__(self, monkeypatch, first, then):
        self.asked = []
        real = socket.getaddrinfo

        def fake(host, port, *args, **kwargs):
            if host != "hooks.example.com":
                return real(host, port, *args, **kwargs)  # IP literals resolve to themselves
            answer = first if not self.asked else then
            self.asked.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_the_connection_goes_to_the_checked_address_not_a_second_answer(monkeypatch):
    # First answer public (checked and accepted), second answer loopback: a connection that
    # resolved the name again would reach 127.0.0.1. Nothing is really connected here.
    resolver = _Rebinding(monkeypatch, first=PUBLIC, then="127.0.0.1")
    connected = []

    def fake_connect(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(socket, "create_connection", fake_connect)
    request = urllib.request.Request("https://hooks.example.com/x", data=b"{}", method="POST")

    with pytest.raises(urllib.error.URLError), safe_urlopen(request, timeout=2):
        pass

    assert connected == [(PUBLIC, 443)]
    assert resolver.asked == ["hooks.example.com"]  # resolved once


def test_a_pinned_request_keeps_the_name_in_the_host_header(monkeypatch):
    # A real round trip to a local server: the name resolves to 127.0.0.1 first (taken as
    # public here, as a stand-in for a public host), then to 127.0.0.2 (where nothing listens;
    # private). The request must reach the server at the first address, with the name as Host.
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.headers["Host"])
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    real_public = netsafety._public
    monkeypatch.setattr(
        netsafety, "_public", lambda address: address == "127.0.0.1" or real_public(address)
    )
    _Rebinding(monkeypatch, first="127.0.0.1", then="127.0.0.2")
    try:
        request = urllib.request.Request(
            f"http://hooks.example.com:{port}/hook", data=b"{}", method="POST"
        )
        with safe_urlopen(request, timeout=5) as response:
            assert response.read() == b"ok"
    finally:
        server.shutdown()
        server.server_close()

    assert seen == [f"hooks.example.com:{port}"]


def test_sending_to_a_name_resolving_to_nat64_loopback_is_refused(monkeypatch):
    # The check runs where the connection is made (for redirects too), not only on save.
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("64:ff9b::7f00:1", port, 0, 0))
        ],
    )
    request = urllib.request.Request("http://hooks.example.com/x")

    with pytest.raises(UnsafeURL, match="not a public address"), safe_urlopen(request, timeout=2):
        pass


def test_a_non_http_scheme_is_refused_before_any_lookup():
    with pytest.raises(UnsafeURL, match="Only http and https"):
        safe_urlopen(urllib.request.Request("file:///etc/passwd"), timeout=2)  # noqa: S310
