"""Payloads and rota fixtures shared by the incidents tests."""

import copy
import datetime
import json

from incidents.security import sign
from rota.models import Rotation
from tests.ownership.factories import UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

UTC = datetime.UTC

# The example notification from Alertmanager's documentation (webhook_config, version 4),
# with Rota's labels filled in.
ALERTMANAGER_PAYLOAD = {
    "version": "4",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "rota",
    "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical", "job": "checkout"},
    "commonAnnotations": {"summary": "Checkout error rate above 5%"},
    "externalURL": "http://alertmanager.example.com:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighErrorRate",
                "severity": "critical",
                "job": "checkout",
                "instance": "checkout-1:8080",
            },
            "annotations": {
                "summary": "Checkout error rate above 5%",
                "description": "5.3% of checkout requests fail.",
            },
            "startsAt": "2030-01-07T09:58:30.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=errors",
            "fingerprint": "5c9d1e2a7b3f4d60",
        }
    ],
}


def alertmanager_payload(*, status="firing", component=None, group_key=None, **common):
    """Return a copy of the documented payload, for ``component`` and with ``status``."""
    payload = copy.deepcopy(ALERTMANAGER_PAYLOAD)
    payload["status"] = status
    for alert in payload["alerts"]:
        alert["status"] = status
        if status == "resolved":
            alert["endsAt"] = "2030-01-07T10:20:00Z"
    if component is not None:
        payload["commonLabels"]["component"] = component
        for alert in payload["alerts"]:
            alert["labels"]["component"] = component
    if group_key is not None:
        payload["groupKey"] = group_key
    payload["commonLabels"].update(common)
    return payload


def post_alert(client, integration, payload, *, signed_with=None, timestamp=None, raw=None):
    """POST an alert to the integration's secret URL, signed if asked."""
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if signed_with is not None:
        stamp = str(
            int(timestamp if timestamp is not None else datetime.datetime.now(UTC).timestamp())
        )
        headers = {
            "HTTP_X_ROTA_TIMESTAMP": stamp,
            "HTTP_X_ROTA_SIGNATURE": sign(signed_with, stamp, body),
        }
    return client.post(
        f"/api/v1/integrations/{integration.token}/alerts/",
        data=body,
        content_type="application/json",
        **headers,
    )


def on_call_now(team, username, *, role=Rotation.Role.PRIMARY, now=None):
    """Put ``username`` on duty in a person rotation of ``team`` from yesterday for a week."""
    now = now or datetime.datetime.now(UTC)
    user = UserFactory(username=username)
    rotation = RotationFactory(team=team, role=role, timezone="UTC")
    ShiftFactory(
        rotation=rotation,
        user=user,
        start=now - datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=6),
    )
    return rotation, user
