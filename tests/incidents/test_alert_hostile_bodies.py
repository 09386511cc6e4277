"""Bodies no database can keep: deep nesting, NUL characters, lone surrogates, NaN.

Each must be answered 400 with JSON naming where the problem is, and kept in the inbox with
its raw bytes, on SQLite and on PostgreSQL (whose text and jsonb refuse NUL and surrogates).
"""

import json

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import InboxItem, Incident
from tests.ownership.factories import ComponentFactory

from .factories import IntegrationFactory
from .helpers import alertmanager_payload, post_alert

pytestmark = pytest.mark.django_db

NUL = "\x00"
SURROGATE = "\ud800"


@pytest.fixture
def checkout():
    return ComponentFactory(slug="checkout")


def _generic(**extra):
    return {"title": "Checkout down", "component": "checkout", **extra}


def _with(path, value, *, kind):
    """Return a valid payload of ``kind`` with ``value`` put at ``path`` (a list of keys)."""
    payload = alertmanager_payload() if kind == "alertmanager" else _generic()
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


def _with_key(path, key, *, kind):
    """Return a valid payload with an extra ``key`` (value "x") in the object at ``path``."""
    payload = alertmanager_payload() if kind == "alertmanager" else _generic()
    node = payload
    for step in path:
        node = node[step]
    node[key] = "x"
    return payload


def _raw(payload) -> bytes:
    # json.dumps writes NUL as \u0000 and a lone surrogate as \ud800: the JSON a sender posts.
    return json.dumps(payload).encode()


def _assert_refused_and_kept(response, integration, body, fragment):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert fragment in detail, detail
    assert not Incident.objects.exists()
    item = InboxItem.objects.get()
    assert (item.integration, item.reason, item.status_code) == (integration, "payload", 400)
    assert bytes(item.body) == body  # the raw request, byte for byte
    # The stored error is the answer, with the offending characters written as escapes.
    assert NUL not in item.error and SURROGATE not in item.error
    assert fragment in item.error


BAD_STRINGS = [
    pytest.param(f"Checkout{NUL}down", "a NUL character", id="nul"),
    pytest.param(f"Checkout{SURROGATE}down", "a lone UTF-16 surrogate", id="surrogate"),
]

# Every kind of place a string sits: the title, labels, annotations, common labels, values
# Rota never reads (receiver, groupLabels) but keeps in the timeline, and list items.
VALUE_PLACES = [
    ("alertmanager", ["commonAnnotations", "summary"], "commonAnnotations.summary"),
    ("alertmanager", ["alerts", 0, "labels", "instance"], "alerts[0].labels.instance"),
    ("alertmanager", ["alerts", 0, "annotations", "summary"], "alerts[0].annotations.summary"),
    ("alertmanager", ["commonLabels", "severity"], "commonLabels.severity"),
    ("alertmanager", ["receiver"], "receiver"),
    ("alertmanager", ["groupLabels", "alertname"], "groupLabels.alertname"),
    ("alertmanager", ["alerts", 0, "fingerprint"], "alerts[0].fingerprint"),
    ("generic", ["title"], "title"),
    ("generic", ["description"], "description"),
    ("generic", ["component"], "component"),
    ("generic", ["fingerprint"], "fingerprint"),
    ("generic", ["links"], "links"),
]


@pytest.mark.parametrize("bad,problem", BAD_STRINGS)
@pytest.mark.parametrize("kind,path,where", VALUE_PLACES)
def test_a_bad_string_anywhere_is_a_400_kept_in_the_inbox(
    api_client, checkout, kind, path, where, bad, problem
):
    integration = IntegrationFactory(kind=kind, component=checkout)
    value = [{"href": "https://runbooks.example.com/", "text": bad}] if path == ["links"] else bad
    if path == ["links"]:
        where = "links[0].text"
    body = _raw(_with(path, value, kind=kind))

    response = post_alert(api_client, integration, None, raw=body)

    _assert_refused_and_kept(response, integration, body, f"{where} contains {problem}")


KEY_PLACES = [
    ("alertmanager", ["alerts", 0, "labels"], "alerts[0].labels"),
    ("alertmanager", ["commonAnnotations"], "commonAnnotations"),
    ("alertmanager", [], ""),
    ("generic", [], ""),
]


@pytest.mark.parametrize("bad,problem", BAD_STRINGS)
@pytest.mark.parametrize("kind,path,where", KEY_PLACES)
def test_a_bad_key_is_a_400_naming_it_escaped(
    api_client, checkout, kind, path, where, bad, problem
):
    integration = IntegrationFactory(kind=kind, component=checkout)
    body = _raw(_with_key(path, bad, kind=kind))

    response = post_alert(api_client, integration, None, raw=body)

    # The key is named with its bad character written as an escape, e.g. Checkout\u0000down.
    escaped = bad.replace(NUL, "\\u0000").replace(SURROGATE, "\\ud800")
    name = f"{where}.{escaped}" if where else escaped
    _assert_refused_and_kept(response, integration, body, f"The key {name} contains {problem}")


@pytest.mark.parametrize("kind", ["alertmanager", "generic"])
@pytest.mark.parametrize("depth", [20, 100_000])
def test_deep_nesting_is_a_400_kept_in_the_inbox(api_client, checkout, kind, depth):
    # 100,000 levels exhaust Python's stack inside the JSON decoder; 20 levels decode but are
    # deeper than any real payload (16 allowed), and would be written into the timeline.
    integration = IntegrationFactory(kind=kind, component=checkout)
    place = '"description"' if kind == "generic" else '"extra"'
    nested = "[" * depth + "]" * depth
    valid = _raw(alertmanager_payload() if kind == "alertmanager" else _generic())
    body = valid[:-1] + f", {place}: {nested}}}".encode()

    response = post_alert(api_client, integration, None, raw=body)

    _assert_refused_and_kept(response, integration, body, "nests deeper than 16 levels")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(api_client, checkout, constant):
    integration = IntegrationFactory(kind="alertmanager", component=checkout)
    body = _raw(alertmanager_payload())[:-1] + f', "truncatedAlerts": {constant}}}'.encode()

    response = post_alert(api_client, integration, None, raw=body)

    _assert_refused_and_kept(response, integration, body, f"{constant} is not a JSON number")


def test_a_bad_header_value_is_stored_escaped(api_client, checkout):
    integration = IntegrationFactory(kind="generic", component=checkout)
    body = _raw(_generic(title=f"a{NUL}b"))

    post_alert_headers = {"HTTP_X_SENDER": f"prom{NUL}1"}
    response = api_client.post(
        f"/api/v1/integrations/{integration.token}/alerts/",
        data=body,
        content_type="application/json",
        **post_alert_headers,
    )

    assert response.status_code == 400
    assert InboxItem.objects.get().headers["X-Sender"] == "prom\\u00001"


def test_a_kept_hostile_body_stays_refused_when_processed_again(api_client, checkout):
    integration = IntegrationFactory(kind="generic", component=checkout)
    body = _raw(_generic(title=f"a{SURROGATE}b"))
    post_alert(api_client, integration, None, raw=body)
    item = InboxItem.objects.get()

    with pytest.raises(ValidationError, match="lone UTF-16 surrogate"):
        services.inbox_reprocess(item=item)

    item.refresh_from_db()
    assert "title contains a lone UTF-16 surrogate" in item.error
    assert not Incident.objects.exists()


def test_a_valid_payload_with_ordinary_unicode_still_opens_an_incident(api_client, checkout):
    # Escapes that decode to ordinary characters (é, an emoji as a surrogate pair) are fine.
    integration = IntegrationFactory(kind="generic", component=checkout)
    body = b'{"title": "Caf\\u00e9 down \\ud83d\\udd25", "component": "checkout"}'

    response = post_alert(api_client, integration, None, raw=body)

    assert response.status_code == 200, response.json()
    assert Incident.objects.get().title == "Café down \U0001f525"


@pytest.mark.parametrize(
    "kind,field", [("alertmanager", "receiver"), ("alertmanager", "extra"), ("generic", "title")]
)
def test_a_number_too_large_for_a_float_is_a_400_kept_in_the_inbox(
    api_client, checkout, kind, field
):
    # 1e400 decodes to infinity; the Alertmanager receiver is kept in the timeline as sent.
    integration = IntegrationFactory(kind=kind, component=checkout)
    valid = _raw(alertmanager_payload() if kind == "alertmanager" else _generic())
    body = valid[:-1] + f', "{field}": 1e400}}'.encode()

    response = post_alert(api_client, integration, None, raw=body)

    _assert_refused_and_kept(response, integration, body, f"{field} is a number too large")


TIME_PLACES = [
    ("generic", ["starts_at"], "starts_at"),
    ("alertmanager", ["alerts", 0, "startsAt"], "alerts[0].startsAt"),
    ("alertmanager", ["alerts", 0, "endsAt"], "alerts[0].endsAt"),
]


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-23:59",  # past what a datetime holds once in UTC
        "9999-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",  # a second before Rota's range (2000-01-01..2100-12-31 UTC)
        "2101-01-01T00:00:00Z",  # the first instant past it
    ],
)
@pytest.mark.parametrize("kind,path,where", TIME_PLACES)
def test_a_time_out_of_range_is_a_400_kept_in_the_inbox(
    api_client, checkout, kind, path, where, value
):
    integration = IntegrationFactory(kind=kind, component=checkout)
    body = _raw(_with(path, value, kind=kind))

    response = post_alert(api_client, integration, None, raw=body)

    fragment = f"{where} must lie between 2000-01-01 and 2100-12-31 (UTC), not {json.dumps(value)}"
    _assert_refused_and_kept(response, integration, body, fragment)
