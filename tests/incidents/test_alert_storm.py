"""Alert storms: what ingesting one notification costs in queries, and a small storm end to end.

Query counts are pinned for the paths a storm repeats (a new alert, a repeat, a resolve, a
notification carrying many alerts); the storm's outcome is computed by hand below.
"""

import collections
import copy
import datetime
import threading

import pytest
from django.db import connection
from django.test import Client

from incidents import queue
from incidents.models import AlertState, Incident, Page, TimelineEntry
from tests.ownership.factories import ComponentFactory

from .factories import IntegrationFactory
from .helpers import on_call_now, post_alert

pytestmark = pytest.mark.django_db

T0, T1 = "2030-01-07T09:00:00Z", "2030-01-07T09:30:00Z"
T2, T3 = "2030-01-07T10:00:00Z", "2030-01-07T11:00:00Z"
NEVER = "0001-01-01T00:00:00Z"


def alert(name: str, *, starts: str, ends: str | None = None) -> dict:
    """One Alertmanager alert; resolved when it has an end."""
    return {
        "status": "resolved" if ends else "firing",
        "labels": {"alertname": name, "severity": "critical", "instance": f"{name}:8080"},
        "annotations": {"summary": f"{name} is failing"},
        "startsAt": starts,
        "endsAt": ends or NEVER,
        "generatorURL": "http://prometheus.example.com:9090/graph",
        "fingerprint": f"fp-{name}",
    }


def notification(group: str, *alerts: dict) -> dict:
    """An Alertmanager (v4) notification of ``group``: firing while any of its alerts fires."""
    firing = any(item["status"] == "firing" for item in alerts)
    return {
        "version": "4",
        "groupKey": f'{{}}:{{group="{group}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "rota",
        "groupLabels": {"group": group},
        "commonLabels": {"severity": "critical"},
        "commonAnnotations": {"summary": f"Group {group} is failing"},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": list(alerts),
    }


@pytest.fixture
def checkout():
    component = ComponentFactory(slug="checkout")
    on_call_now(component.owner_team, "alice")
    return component


@pytest.fixture
def handed_pages(monkeypatch):
    """Count the pages handed to the broker (each is then handed for real, to memory://)."""
    handed = collections.Counter()
    publish = queue.publish

    def counting(name, *, args, **options):
        if name == queue.DELIVER_PAGE:
            handed[args[0]] += 1
        return publish(name, args=args, **options)

    monkeypatch.setattr(queue, "publish", counting)
    return handed


# --- queries per notification --------------------------------------------------------------


def _warm(client, integration):
    # Opening the first incident of a component computes who is on call now; the process
    # keeps that answer (rota.routing_cache), as it does through a storm.
    post_alert(client, integration, notification("warm-up", alert("w", starts=T0)))


def test_a_new_alert_costs_a_fixed_number_of_queries(
    api_client, checkout, django_assert_num_queries
):
    integration = IntegrationFactory(component=checkout)
    _warm(api_client, integration)

    # integration by token; savepoint; alert states; open incidents; the integration's
    # component; savepoints of the creation (2); routing versions (the answer is cached),
    # ownership period, incident insert, routing entry; escalation policy, fallback people,
    # leads, "step done?", the person's channels (2), page savepoint + insert + release, page
    # entry, escalation update; release; "fired" entry; release; alert state insert; last
    # alert time; release.
    with django_assert_num_queries(28):
        response = post_alert(api_client, integration, notification("a", alert("a1", starts=T0)))

    assert len(response.json()["created"]) == 1


def test_a_repeat_of_an_open_alert_costs_five_queries(
    api_client, checkout, django_assert_num_queries
):
    integration = IntegrationFactory(component=checkout)
    post_alert(api_client, integration, notification("a", alert("a1", starts=T0)))

    # integration by token; savepoint; alert states; open incidents; "fired again" entry;
    # last alert time; release.
    with django_assert_num_queries(7):
        response = post_alert(api_client, integration, notification("a", alert("a1", starts=T0)))

    assert response.json()["grouped"] == [Incident.objects.get().pk]


def test_a_resolve_costs_a_fixed_number_of_queries(api_client, checkout, django_assert_num_queries):
    integration = IntegrationFactory(component=checkout)
    post_alert(api_client, integration, notification("a", alert("a1", starts=T0)))

    # integration by token; savepoint; alert states; open incidents; "resolved" entry;
    # savepoint; incident locked; pending pages cancelled; their entries read, one marked
    # (2); incident saved; status entry; release; alert state update; last alert time;
    # release.
    with django_assert_num_queries(16):
        response = post_alert(
            api_client, integration, notification("a", alert("a1", starts=T0, ends=T1))
        )

    assert response.json()["resolved"] == [Incident.objects.get().pk]


def test_ten_alerts_in_one_group_cost_what_one_does(
    api_client, checkout, django_assert_num_queries
):
    integration = IntegrationFactory(component=checkout)
    one = notification("a", alert("a0", starts=T0))
    ten = notification("a", *(alert(f"a{n}", starts=T0) for n in range(10)))
    post_alert(api_client, integration, one)

    # As for a repeat of one alert, plus one insert of the 9 new alert states: a group is
    # one incident, however many alerts it carries.
    with django_assert_num_queries(8):
        post_alert(api_client, integration, ten)
    with django_assert_num_queries(7):
        post_alert(api_client, integration, ten)


def test_ten_alerts_resolving_together_cost_what_one_does(
    api_client, checkout, django_assert_num_queries
):
    integration = IntegrationFactory(component=checkout)
    firing = notification("a", *(alert(f"a{n}", starts=T0) for n in range(10)))
    post_alert(api_client, integration, firing)
    resolved = notification("a", *(alert(f"a{n}", starts=T0, ends=T1) for n in range(10)))

    # As for one alert resolving (test above): the ten states change alike, so one UPDATE
    # writes them all.
    with django_assert_num_queries(16):
        response = post_alert(api_client, integration, resolved)

    assert response.json()["resolved"] == [Incident.objects.get().pk]
    states = AlertState.objects.values_list("status", "ends_at")
    assert set(states) == {("resolved", datetime.datetime(2030, 1, 7, 9, 30, tzinfo=datetime.UTC))}
    assert len(states) == 10


def test_ten_alerts_grouped_per_alert_cost_one_timeline_entry_each(
    api_client, checkout, django_assert_num_queries
):
    integration = IntegrationFactory(component=checkout, grouping="alert")
    ten = notification("a", *(alert(f"a{n}", starts=T0) for n in range(10)))
    post_alert(api_client, integration, ten)
    assert Incident.objects.count() == 10

    # integration by token; savepoint; alert states (one query for 10); open incidents (one
    # query for 10); 10 "fired again" entries, one per incident; last alert time; release.
    # Only the timeline grows with the alerts: each incident gets its own entry.
    with django_assert_num_queries(6 + 10):
        response = post_alert(api_client, integration, ten)

    assert len(response.json()["grouped"]) == 10


# --- a small storm, computed by hand -------------------------------------------------------

# Groups A, B, C; (group, alerts) in the order posted, with what each does by the rules of
# incidents.services.alerts (one incident per group; a firing that started before the
# recorded end of its alert is a repeat):
A1, A1_AGAIN = alert("a1", starts=T0), alert("a1", starts=T2)
STORM = [
    ("A", [A1, alert("a2", starts=T0)]),  # 1 opens A#1
    ("B", [alert("b1", starts=T0)]),  # 2 opens B#1
    ("A", [A1, alert("a2", starts=T0)]),  # 3 grouped into A#1
    ("C", [alert("c1", starts=T0), alert("c2", starts=T0)]),  # 4 opens C#1
    ("B", [alert("b1", starts=T0)]),  # 5 grouped into B#1
    ("A", [alert("a1", starts=T0, ends=T1), alert("a2", starts=T0)]),  # 6 grouped (a2 fires)
    ("A", [alert("a1", starts=T0, ends=T1), alert("a2", starts=T0, ends=T1)]),  # 7 resolves A#1
    ("A", [alert("a1", starts=T0, ends=T1), alert("a2", starts=T0, ends=T1)]),  # 8 ignored
    ("B", [alert("b1", starts=T0, ends=T1)]),  # 9 resolves B#1
    ("C", [alert("c1", starts=T0), alert("c2", starts=T0)]),  # 10 grouped into C#1
    ("A", [A1_AGAIN]),  # 11 opens A#2: started at T2, after a1 ended (T1)
    ("A", [A1_AGAIN]),  # 12 grouped into A#2
    ("B", [alert("b1", starts=T0, ends=T1)]),  # 13 ignored (B#1 resolved already)
    ("B", [alert("b1", starts=T0)]),  # 14 repeat: started T0, before b1 ended; noted on B#1
    ("C", [alert("c1", starts=T0, ends=T1), alert("c2", starts=T0, ends=T1)]),  # 15 resolves C#1
    ("A", [alert("a1", starts=T2, ends=T3)]),  # 16 resolves A#2
    ("B", [alert("b1", starts=T2)]),  # 17 opens B#2
    ("C", [alert("c1", starts=T2)]),  # 18 opens C#2
    ("B", [alert("b1", starts=T2)]),  # 19 grouped into B#2
    ("A", [alert("a1", starts=T2, ends=T3)]),  # 20 ignored (A#2 resolved already)
]
# Hence: 6 incidents, 2 per group; resolved A#1, B#1, C#1, A#2 (4); open B#2, C#2 (2).
# Answers: created 1, 2, 4, 11, 17, 18 (6); grouped 3, 5, 6, 10, 12, 19 (6); resolved 7, 9,
# 15, 16 (4); ignored 8, 13, 20 (3); repeats 14 (1): 20 in all. Alice is the only one on
# call and her team has no lead: one page per incident, 6 pages, each handed over once.


def test_a_small_storm_ends_with_the_incidents_computed_by_hand(
    api_client, checkout, handed_pages, django_capture_on_commit_callbacks
):
    integration = IntegrationFactory(component=checkout)
    answers = collections.Counter()

    with django_capture_on_commit_callbacks(execute=True):
        for group, alerts in STORM:
            body = post_alert(api_client, integration, notification(group, *copy.deepcopy(alerts)))
            assert body.status_code == 200
            for key in ("created", "grouped", "resolved", "repeats"):
                answers[key] += len(body.json()[key])
            answers["ignored"] += body.json()["ignored"]

    assert answers == {"created": 6, "grouped": 6, "resolved": 4, "ignored": 3, "repeats": 1}
    incidents = list(Incident.objects.order_by("id"))
    fingerprints = collections.Counter(i.fingerprint for i in incidents)
    assert sorted(fingerprints.values()) == [2, 2, 2]
    assert [i.status for i in incidents] == [
        "resolved",  # A#1
        "resolved",  # B#1
        "resolved",  # C#1
        "resolved",  # A#2
        "triggered",  # B#2
        "triggered",  # C#2
    ]
    b1 = incidents[1]
    assert b1.timeline.filter(
        kind=TimelineEntry.Kind.ALERT, text__startswith="Alert repeated"
    ).exists()
    pages = list(Page.objects.order_by("incident_id"))
    assert [(p.incident_id, p.user.username, p.step) for p in pages] == [
        (i.pk, "alice", "primary") for i in incidents
    ]
    assert handed_pages == {p.pk: 1 for p in pages}


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_new_alert_at_once_open_one_incident(checkout):
    integration = IntegrationFactory(component=checkout)
    body = notification("a", alert("a1", starts=T0), alert("a2", starts=T0))
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def deliver():
        try:
            barrier.wait()
            answers.append(post_alert(Client(), integration, body).json())
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    incident = Incident.objects.get()
    assert sorted((a["created"], a["grouped"]) for a in answers) == [
        ([], [incident.pk]),
        ([incident.pk], []),
    ]
    assert Page.objects.filter(incident=incident).count() == 1
