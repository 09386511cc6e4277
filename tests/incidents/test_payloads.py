"""Reading alert payloads: Alertmanager v4 and the generic format, without a database."""

import datetime
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
        ({"status": "pending"}, "status must be 'firing' or 'resolved', not \"pending\"."),
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
        'severity "huge" is unknown; use SEV1-SEV4 (or critical, major, minor, low).',
        "urgency must be 'interrupting' or 'backlog'.",
        "links[0] must be an http(s) URL or an object with an http(s) href.",
    ]


# --- Alert times are RFC 3339 date-times (RFC 3339 §5.6), nothing looser --------------------

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-30T06:00:00Z", datetime.datetime(2026, 11, 30, 6, tzinfo=UTC)),
        # §5.6's note: "T" and "Z" may be lower case.
        ("2026-11-30t06:00:00z", datetime.datetime(2026, 11, 30, 6, tzinfo=UTC)),
        # 07:00 at +01:00 is 06:00 UTC; Go's nanoseconds are cut to microseconds.
        (
            "2026-11-30T07:00:00.123456789+01:00",
            datetime.datetime(2026, 11, 30, 6, 0, 0, 123456, tzinfo=UTC),
        ),
    ],
)
def test_rfc_3339_times_are_read_whatever_their_letter_case(text, instant):
    payload = alertmanager_payload()
    payload["alerts"][0]["startsAt"] = text

    [alert] = parse_alertmanager(body(payload), grouping="group")

    assert alert.items[0].starts_at == instant


@pytest.mark.parametrize(
    "text",
    [
        "20261130T060000Z",  # ISO 8601 basic format
        "2026-W48-1T06:00Z",  # ISO 8601 week date
        "2026-11-30T06:00Z",  # no seconds
        "2026-11-30T06:00:00",  # no offset
        "2026-11-30T06:00:00+0100",  # offset without its colon
        " 2026-11-30T06:00:00Z",  # padded
    ],
)
def test_iso_8601_forms_outside_rfc_3339_are_refused_naming_the_field(text):
    payload = alertmanager_payload()
    payload["alerts"][0]["startsAt"] = text

    with pytest.raises(BadPayload) as refused:
        parse_alertmanager(body(payload), grouping="group")

    assert refused.value.errors == [
        "alerts[0].startsAt must be an RFC 3339 date-time with a UTC offset "
        f"(like 2030-01-07T09:58:30Z), not {json.dumps(text)}."
    ]


def test_generic_starts_at_is_read_by_the_same_rule():
    with pytest.raises(BadPayload) as refused:
        parse_generic(body({"title": "Down", "starts_at": "20261130T060000Z"}))
    assert refused.value.errors == [
        "starts_at must be an RFC 3339 date-time with a UTC offset "
        '(like 2030-01-07T09:58:30Z), not "20261130T060000Z".'
    ]


@pytest.mark.parametrize(
    ("value", "shown"), [(True, "true"), (False, "false"), (1.5, "1.5"), ("3", '"3"'), (-1, "-1")]
)
def test_truncated_alerts_must_be_a_json_number_and_says_so_in_json(value, shown):
    payload = {**alertmanager_payload(), "truncatedAlerts": value}

    with pytest.raises(BadPayload) as refused:
        parse_alertmanager(body(payload), grouping="group")

    assert refused.value.errors == [
        f"truncatedAlerts must be a whole number of at least 0, not {shown}."
    ]


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        (b'{"status": ', "The body is not valid JSON"),
        (b"[1, 2]", "The body must be a JSON object"),
        (b'{"version": "3", "alerts": []}', "Unsupported Alertmanager webhook version"),
    ],
)
def test_a_refusal_with_one_cause_lists_it_in_errors(raw, start):
    with pytest.raises(BadPayload) as refused:
        parse_alertmanager(raw, grouping="group")

    assert refused.value.errors == [refused.value.message]
    assert refused.value.message.startswith(start)
