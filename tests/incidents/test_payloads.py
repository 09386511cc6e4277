"""Reading alert payloads: Alertmanager v4 and the generic format, without a database."""

import json

import pytest

from incidents.exceptions import BadPayload
from incidents.payloads import parse_alertmanager, parse_generic, severity_from

from .helpers import alertmanager_payload


def body(payload):
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", "SEV1"),
        ("page", "SEV1"),
        ("SEV2", "SEV2"),
        ("error", "SEV2"),
        ("warning", "SEV3"),
        ("info", "SEV4"),
        ("sev4", "SEV4"),
        ("whatever", None),
        (3, None),
    ],
)
def test_severity_labels_map_to_rota_levels(label, severity):
    assert severity_from(label) == severity


def test_an_alertmanager_group_becomes_one_alert_with_every_member_described():
    payload = alertmanager_payload(component="checkout")
    second = json.loads(json.dumps(payload["alerts"][0]))
    second["labels"].update(instance="checkout-2:8080", severity="warning")
    second["status"] = "resolved"
    payload["alerts"].append(second)
    del payload["commonLabels"]["severity"]

    [alert] = parse_alertmanager(body(payload), grouping="group")

    assert alert.status == "firing"
    assert alert.title == "Checkout error rate above 5%"
    assert alert.severity == "SEV1"  # the worst of the firing alerts
    assert alert.components == ("checkout",)
    assert "[firing] HighErrorRate {component=checkout, instance=checkout-1:8080" in (
        alert.description
    )
    assert "[resolved] HighErrorRate" in alert.description
    assert alert.links[-1] == ("http://alertmanager.example.com:9093", "Alertmanager")


def test_the_same_group_key_gives_the_same_fingerprint():
    one = parse_alertmanager(body(alertmanager_payload()), grouping="group")[0]
    two = parse_alertmanager(body(alertmanager_payload(status="resolved")), grouping="group")[0]
    other = parse_alertmanager(body(alertmanager_payload(group_key="x")), grouping="group")[0]

    assert one.fingerprint == two.fingerprint != other.fingerprint


def test_per_alert_grouping_uses_alertmanagers_fingerprint():
    [alert] = parse_alertmanager(body(alertmanager_payload()), grouping="alert")

    assert alert.fingerprint == "am-alert:5c9d1e2a7b3f4d60"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"alerts": []}, "alerts must be a non-empty list."),
        ({"status": "pending"}, "status must be 'firing' or 'resolved', not 'pending'."),
        ({"commonLabels": ["a"]}, "commonLabels must be an object of strings."),
        ({"groupKey": None}, "groupKey must be a non-empty string."),
    ],
)
def test_alertmanager_payloads_in_the_wrong_shape_are_refused(change, error):
    payload = {**alertmanager_payload(), **change}

    with pytest.raises(BadPayload) as refused:
        parse_alertmanager(body(payload), grouping="group")

    assert refused.value.errors == [error]


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(BadPayload, match="must be a JSON object"):
        parse_generic(b"[1, 2]")


def test_a_generic_alert_without_fingerprint_groups_by_component_and_title():
    first = parse_generic(body({"title": "Queue backlog", "component": "jobs"}))[0]
    again = parse_generic(body({"title": "Queue backlog ", "component": "jobs"}))[0]
    elsewhere = parse_generic(body({"title": "Queue backlog", "component": "mail"}))[0]

    assert first.fingerprint == again.fingerprint != elsewhere.fingerprint
    assert (first.severity, first.urgency, first.components) == (None, None, ("jobs",))


def test_a_generic_alert_collects_every_problem():
    with pytest.raises(BadPayload) as refused:
        parse_generic(
            body({"status": "firing", "severity": "huge", "urgency": "now", "links": ["ftp://x"]})
        )

    assert refused.value.errors == [
        "title must be a non-empty string.",
        "severity 'huge' is unknown; use SEV1-SEV4 (or critical, major, minor, low).",
        "urgency must be 'interrupting' or 'backlog'.",
        "links[0] must be an http(s) URL or an object with an http(s) href.",
    ]
