"""Benchmarks of the incidents app, run by ``make bench`` (bench/run.py).

The group measures alerts ingested per second through the webhook endpoint (a new alert opening
an incident, a repeat grouping into it, one clearing it), an alert storm (see
``bench/incidents_storm.py``) and the escalation scanner.
"""

import datetime
import hashlib
import itertools
import json
import time
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from ownership import services as ownership
from rota import services as rota

from .harness import Bench, group
from .incidents_storm import bench_storm


def alertmanager_payload(*, group_key: str, status: str = "firing") -> dict:
    """Return an Alertmanager webhook (v4) notification with one alert, its own per group.

    Each group gets an alert of its own (fingerprint), so a group that fired and cleared
    before does not make the next one a repeat (README: repeats and late notifications).
    """
    labels = {"alertname": "HighErrorRate", "severity": "critical", "instance": group_key}
    fingerprint = hashlib.sha256(group_key.encode()).hexdigest()[:16]
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "rota",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "Checkout error rate above 5%"},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": "Checkout error rate above 5%"},
                "startsAt": "2030-01-07T09:58:30Z",
                "endsAt": "2030-01-07T10:20:00Z"
                if status == "resolved"
                else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com:9090/graph",
                "fingerprint": fingerprint,
            }
        ],
    }


def _on_call_component():
    """Return a component whose owning team has someone on call now, who also leads it."""
    user, _ = get_user_model().objects.get_or_create(
        username="bench-oncall", defaults={"email": "bench-oncall@example.com"}
    )
    team = ownership.team_create(
        name="Bench responders", slug="bench-responders", members=[(user, "lead")]
    )
    component = ownership.component_create(
        name="Bench checkout", slug="bench-checkout", owner_team=team
    )
    rotation = rota.rotation_create(
        name="Bench on-call",
        kind="person",
        team=team,
        timezone="UTC",
        start_date=(timezone.now() - datetime.timedelta(days=1)).date(),
        participants=[user],
    )
    rota.rotation_generate(
        rotation=rotation, until=timezone.now().date() + datetime.timedelta(days=14)
    )
    return component


def _poster(client: Client, path: str):
    def post(payload: bytes):
        response = client.post(path, data=payload, content_type="application/json")
        if response.status_code != 200:
            raise AssertionError(f"{response.status_code}: {response.content[:300]!r}")
        return response

    return post


@group("incidents", "alerts through the webhook (open, group, clear); the escalation scanner")
def bench_incidents(bench: Bench) -> None:
    component = _on_call_component()
    _, url = services.integration_create(
        name="Bench Prometheus",
        kind="alertmanager",
        component=component,
        rate_limit_per_minute=100_000,
    )
    post = _poster(Client(), urlsplit(url).path)
    keys = itertools.count()

    def new_alert():
        post(json.dumps(alertmanager_payload(group_key=f"bench-{next(keys)}")).encode())

    bench.measure(
        "webhook: a new alert opens and routes an incident",
        new_alert,
        repeat=300,
        warmup=20,
        count_queries=3,
    )
    repeat = json.dumps(alertmanager_payload(group_key="bench-repeat")).encode()
    post(repeat)
    bench.measure(
        "webhook: a repeat groups into the open incident",
        lambda: post(repeat),
        repeat=500,
        warmup=20,
        count_queries=3,
    )
    cycle = itertools.count()

    def fire_and_clear():
        key = f"bench-cycle-{next(cycle)}"
        post(json.dumps(alertmanager_payload(group_key=key)).encode())
        post(json.dumps(alertmanager_payload(group_key=key, status="resolved")).encode())

    bench.measure(
        "webhook: an alert fires and clears (2 requests)",
        fire_and_clear,
        repeat=200,
        warmup=10,
        count_queries=3,
    )
    bench_storm(bench, component=component)
    total = Incident.objects.count()
    bench.note(f"{total} incidents recorded through the webhook")

    # The scanner: every triggered incident is due for its secondary and its lead at once.
    later = timezone.now() + datetime.timedelta(minutes=16)
    due = Incident.objects.filter(status="triggered").count()
    started = time.perf_counter()
    paged = services.escalation_scan(now=later)
    elapsed = time.perf_counter() - started
    again = services.escalation_scan(now=later)
    bench.note(
        f"escalation scan: {due} incidents due, {paged} pages in {elapsed:.2f} s "
        f"({due / elapsed:,.0f} incidents/s); a second scan paged {again} (must be 0)"
    )
