"""Outbound HTTP to user-supplied addresses ends at a total deadline, not a per-read one."""

import socket
import time
import urllib.request
from types import SimpleNamespace

import pytest

from core.netsafety import DeadlineExceeded, safe_urlopen
from notifications.channels import ChannelError, webhook_post
from rota.exceptions import CalendarImportError
from rota.services.unavailability_ics import fetch_calendar
from tests.notifications.chat import ChatServer, DrippingServer


def _get(url):
    return urllib.request.Request(url)  # noqa: S310 - a test server of our own


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the caller looks at what was raised
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_a_body_dripped_a_byte_a_second_is_cut_at_the_deadline():
    # 600 bytes at one a second would take ten minutes; every read gets a byte well within
    # its 2-second socket timeout, so only a total deadline stops it, after 2 s.
    with DrippingServer() as server:

        def fetch():
            with safe_urlopen(_get(server.url), timeout=2) as response:
                response.read()

        took, error = _timed(fetch)
    assert isinstance(error, DeadlineExceeded)
    assert 1.9 < took < 5


def test_headers_dripped_a_byte_a_second_are_cut_at_the_deadline():
    with DrippingServer(headers_drip=True) as server:

        def fetch():
            with safe_urlopen(_get(server.url), timeout=2) as response:
                response.read()

        took, error = _timed(fetch)
    assert isinstance(error, DeadlineExceeded)
    assert took < 5


def test_a_prompt_answer_is_read_whole():
    with ChatServer() as server:
        request = urllib.request.Request(server.url, data=b'{"text": "hi"}', method="POST")  # noqa: S310
        with safe_urlopen(request, timeout=2) as response:
            assert (response.status, response.read()) == (200, b"ok")


def test_a_dripping_chat_webhook_is_a_passing_failure_after_its_timeout(settings):
    # The receiver answers 200 and drips: not delivered, so retried, and after 1 s, not 600.
    settings.NOTIFICATIONS_WEBHOOK_TIMEOUT = 1.0
    with DrippingServer() as server:
        message = SimpleNamespace(address=server.url, chat_text="hello", key="k-1")
        took, error = _timed(lambda: webhook_post(message))
        assert server.received == ["k-1"]
    assert isinstance(error, ChannelError)
    assert not error.permanent
    assert "too slow" in str(error)
    assert took < 5  # not the ten minutes the drip would take


def test_a_dripping_calendar_address_is_refused_after_the_fetch_deadline(monkeypatch):
    # An import by URL runs in a web request: it must give up at its deadline.
    monkeypatch.setattr("rota.services.unavailability_ics.FETCH_TIMEOUT_SECONDS", 1)
    with DrippingServer() as server:
        took, error = _timed(lambda: fetch_calendar(server.url))
    assert isinstance(error, CalendarImportError)
    assert "within 1 seconds" in str(error)
    assert took < 5  # not the ten minutes the drip would take


def test_a_name_that_does_not_resolve_is_retried_not_given_up(monkeypatch):
    # DNS down for a moment (socket.gaierror) must not turn a page into a permanent failure.
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    message = SimpleNamespace(address="https://hooks.example.com/x", chat_text="hi", key="k")
    with pytest.raises(ChannelError) as excinfo:
        webhook_post(message)
    assert not excinfo.value.permanent
    assert "could not be resolved" in str(excinfo.value)
