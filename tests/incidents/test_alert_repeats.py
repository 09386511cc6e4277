"""Repeated, duplicated and reordered alert notifications page nobody twice.

Alertmanager sends a group again every repeat_interval, both members of an HA pair send the
same notification, failed sends are retried, and an old "firing" may arrive after the
"resolved". The documented payload (tests/incidents/helpers.py) fires at 09:58:30 and, in
its resolved form, ends at 10:20:00 on 2030-01-07.
"""

import copy
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import AlertState, InboxItem, Incident, Page
from tests.ownership.factories import ComponentFactory, TeamFactory

from .factories import IntegrationFactory
from .helpers import alertmanager_payload, on_call_now
from .helpers import post_alert as _post_alert

pytestmark = pytest.mark.django_db

STARTED = "2030-01-07 09:58:30 UTC"
ENDED = "2030-01-07 10:20:00 UTC"
BOTH_GROUPINGS = pytest.mark.parametrize("grouping", ["group", "alert"])


@pytest.fixture
def checkout():
    team = TeamFactory(slug="payments")
    on_call_now(team, "alice")
    return ComponentFactory(slug="checkout", owner_team=team)


@pytest.fixture
def published(monkeypatch):
    """Record the pages handed to the broker (after commit) instead of sending them."""
    from incidents import queue

    sent = []
    monkeypatch.setattr(queue, "publish_page", sent.append)
    return sent


@pytest.fixture
def post(api_client, django_capture_on_commit_callbacks, published):
    """POST an alert and run what it enqueues on commit, as a real request would."""

    def send(integration, payload):
        with django_capture_on_commit_callbacks(execute=True):
            response = _post_alert(api_client, integration, payload)
        assert response.status_code in (200, 400), response.content
        return response

    return send


def firing(starts_at=None, **kwargs):
    payload = alertmanager_payload(**kwargs)
    if starts_at:
        payload["alerts"][0]["startsAt"] = starts_at
    return payload


def resolved(starts_at=None, ends_at=None):
    payload = alertmanager_payload(status="resolved")
    if starts_at:
        payload["alerts"][0]["startsAt"] = starts_at
    if ends_at:
        payload["alerts"][0]["endsAt"] = ends_at
    return payload


def two_alert_group(first_status, second_status):
    """The documented group with a second instance, fingerprint 77aa00bb11cc22dd."""
    payload = alertmanager_payload()
    second = copy.deepcopy(payload["alerts"][0])
    second["labels"]["instance"] = "checkout-2:8080"
    second["fingerprint"] = "77aa00bb11cc22dd"
    payload["alerts"].append(second)
    for alert, status in zip(payload["alerts"], (first_status, second_status), strict=True):
        alert["status"] = status
        if status == "resolved":
            alert["endsAt"] = "2030-01-07T10:20:00Z"
    payload["status"] = "firing" if "firing" in (first_status, second_status) else "resolved"
    return payload


@BOTH_GROUPINGS
def test_a_stale_firing_after_the_resolved_is_noted_and_pages_nobody(
    post, published, checkout, grouping
):
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    post(integration, resolved())
    pages_before = Page.objects.count()

    # The same firing (started 09:58:30) arrives after the resolved (ended 10:20): a repeat.
    answer = post(integration, firing()).json()

    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert (answer["created"], answer["grouped"], answer["repeats"]) == ([], [], [incident.pk])
    assert pages_before == 1  # alice was paged once, for the real firing
    assert Page.objects.count() == 1
    assert len(published) == 1
    note = incident.timeline.order_by("at", "id").last()
    assert note.kind == "alert"
    assert note.text == (
        f"Alert repeated: Checkout error rate above 5% (a late or repeated notification: "
        f"it started {STARTED} and had ended {ENDED}; no new incident, nobody paged.)"
    )


@BOTH_GROUPINGS
def test_an_ha_pair_sending_the_same_firing_opens_one_incident_paged_once(
    post, published, checkout, grouping
):
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    # Both replicas send the same groupKey and alerts, a moment apart.
    first = post(integration, firing()).json()
    recorded = AlertState.objects.get().updated_at
    second = post(integration, firing()).json()

    incident = Incident.objects.get()
    assert (first["created"], second["grouped"], second["created"]) == (
        [incident.pk],
        [incident.pk],
        [],
    )
    page = Page.objects.get()
    assert (page.incident, page.user.username) == (incident, "alice")
    assert published == [page.pk]
    state = AlertState.objects.get()
    # Nothing new was learnt from the duplicate, so nothing was written.
    assert (state.status, state.updated_at) == ("firing", recorded)


@BOTH_GROUPINGS
def test_a_firing_that_started_after_the_recorded_end_is_a_new_incident_and_paged(
    post, published, checkout, grouping
):
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    post(integration, resolved())

    # Started 10:20:01, a second after the recorded end: flapping, a genuinely new firing.
    answer = post(integration, firing(starts_at="2030-01-07T10:20:01Z")).json()

    old, new = Incident.objects.order_by("id")
    assert answer["created"] == [new.pk]
    assert (old.status, new.status) == ("resolved", "triggered")
    assert Page.objects.filter(incident=new).count() == 1
    assert len(published) == 2
    state = AlertState.objects.get()
    assert (state.status, state.ends_at, state.incident) == ("firing", None, new)


@BOTH_GROUPINGS
def test_a_firing_with_the_recorded_end_as_its_start_is_still_a_repeat(post, checkout, grouping):
    # "Not after the end": a start equal to the recorded end (10:20:00) is a repeat.
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    post(integration, resolved())

    answer = post(integration, firing(starts_at="2030-01-07T10:20:00+00:00")).json()

    assert answer["repeats"] == [Incident.objects.get().pk]
    assert Page.objects.count() == 1


@BOTH_GROUPINGS
def test_a_resolved_delivered_twice_is_idempotent(post, checkout, grouping):
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    first = post(integration, resolved())
    second = post(integration, resolved())

    incident = Incident.objects.get()
    assert first.json()["resolved"] == [incident.pk]
    assert second.status_code == 200
    assert (second.json()["resolved"], second.json()["ignored"]) == ([], 1)
    assert incident.timeline.filter(text="Resolved: the alert cleared.").count() == 1
    state = AlertState.objects.get()
    assert (state.status, f"{state.ends_at:%H:%M}") == ("resolved", "10:20")


@BOTH_GROUPINGS
def test_a_late_resolved_does_not_resolve_a_newer_firing(post, checkout, grouping):
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    post(integration, resolved())
    post(integration, firing(starts_at="2030-01-07T10:30:00Z"))

    # A retry of the 10:20 resolved (for the 09:58 firing) arrives after the 10:30 firing.
    answer = post(integration, resolved()).json()

    old, new = Incident.objects.order_by("id")
    assert (answer["resolved"], answer["grouped"]) == ([], [new.pk])
    assert new.status == "triggered"
    assert new.timeline.order_by("at", "id").last().text == (
        "Alert resolved late: Checkout error rate above 5% (it ends a firing that started "
        f"{STARTED}; the alert fired again at 2030-01-07 10:30:00 UTC, so the incident stays "
        "open.)"
    )
    # The resolved of the new firing still resolves it.
    post(integration, resolved(starts_at="2030-01-07T10:30:00Z", ends_at="2030-01-07T10:40:00Z"))
    new.refresh_from_db()
    assert new.status == "resolved"


@BOTH_GROUPINGS
def test_an_older_firing_arriving_after_a_newer_one_is_a_repeat(post, checkout, grouping):
    # The newer incident was resolved by a person while its alert still fires; a retry of the
    # 09:58 firing (long resolved) must not reopen anything.
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    post(integration, resolved())
    post(integration, firing(starts_at="2030-01-07T10:30:00Z"))
    newer = Incident.objects.order_by("id").last()
    from incidents import services

    services.incident_resolve(incident=newer, by=None, source="person")

    answer = post(integration, firing()).json()

    assert answer["repeats"] == [newer.pk]
    assert Incident.objects.count() == 2
    assert "before the firing of 2030-01-07 10:30:00 UTC" in (
        newer.timeline.order_by("at", "id").last().text
    )


@BOTH_GROUPINGS
def test_an_alert_still_firing_after_a_person_resolved_its_incident_opens_a_new_one(
    post, checkout, grouping
):
    # The alert never ended (no endsAt recorded): the problem persists, so the next
    # notification is not a repeat of something ended and pages again.
    from incidents import services

    integration = IntegrationFactory(component=checkout, grouping=grouping)
    post(integration, firing())
    services.incident_resolve(incident=Incident.objects.get(), by=None, source="person")

    answer = post(integration, firing()).json()

    assert (len(answer["created"]), answer["repeats"]) == (1, [])
    assert Page.objects.count() == 2


@BOTH_GROUPINGS
def test_a_firing_overtaken_by_its_own_resolved_opens_nothing(post, published, checkout, grouping):
    # The resolved (ended 10:20) arrives first; the firing that started 09:58 comes after:
    # the alert is over, nobody needs waking.
    integration = IntegrationFactory(component=checkout, grouping=grouping)
    first = post(integration, resolved()).json()

    answer = post(integration, firing()).json()

    assert (first["ignored"], answer["ignored"], answer["created"]) == (1, 1, [])
    assert not Incident.objects.exists()
    assert published == []


def test_per_alert_grouping_one_alert_resolved_while_the_other_fires(post, checkout):
    integration = IntegrationFactory(component=checkout, grouping="alert")
    post(integration, two_alert_group("firing", "firing"))

    answer = post(integration, two_alert_group("resolved", "firing")).json()

    first = Incident.objects.get(fingerprint="am-alert:5c9d1e2a7b3f4d60")
    second = Incident.objects.get(fingerprint="am-alert:77aa00bb11cc22dd")
    assert (answer["resolved"], answer["grouped"]) == ([first.pk], [second.pk])
    assert (first.status, second.status) == ("resolved", "triggered")
    # A stale repeat of the whole group: the first alert is a repeat, the second joins.
    again = post(integration, two_alert_group("firing", "firing")).json()
    assert (again["repeats"], again["grouped"], again["created"]) == (
        [first.pk],
        [second.pk],
        [],
    )
    assert Incident.objects.count() == 2
    assert Page.objects.count() == 2  # one per incident, when it opened


def test_per_group_grouping_one_alert_resolved_while_the_other_fires(post, checkout):
    integration = IntegrationFactory(component=checkout, grouping="group")
    post(integration, two_alert_group("firing", "firing"))

    answer = post(integration, two_alert_group("resolved", "firing")).json()

    incident = Incident.objects.get()
    assert (answer["grouped"], incident.status) == ([incident.pk], "triggered")
    assert incident.timeline.order_by("at", "id").last().text == (
        "Alert fired again: Checkout error rate above 5% "
        "(1 of 2 alerts resolved, the others still firing.)"
    )
    states = dict(AlertState.objects.values_list("key", "status"))
    assert states == {
        "am-alert:5c9d1e2a7b3f4d60": "resolved",
        "am-alert:77aa00bb11cc22dd": "firing",
    }

    # Both resolve; then the group fires with the first alert's stale firing and the second
    # alert firing anew at 10:45: the new firing makes it a new incident.
    post(integration, two_alert_group("resolved", "resolved"))
    payload = two_alert_group("firing", "firing")
    payload["alerts"][1]["startsAt"] = "2030-01-07T10:45:00Z"
    answer = post(integration, payload).json()
    assert len(answer["created"]) == 1
    assert Incident.objects.count() == 2
    # The stale firing did not move the first alert's record back.
    first = AlertState.objects.get(key="am-alert:5c9d1e2a7b3f4d60")
    assert (first.status, f"{first.ends_at:%H:%M}") == ("resolved", "10:20")


def test_a_group_repeats_only_when_all_its_firing_alerts_are_repeats(post, checkout):
    integration = IntegrationFactory(component=checkout, grouping="group")
    post(integration, two_alert_group("firing", "firing"))
    post(integration, two_alert_group("resolved", "resolved"))

    answer = post(integration, two_alert_group("firing", "firing")).json()

    assert (answer["created"], answer["repeats"]) == ([], [Incident.objects.get().pk])


def test_alertmanagers_zero_end_time_on_a_firing_alert_is_no_end(post, checkout):
    integration = IntegrationFactory(component=checkout)
    payload = firing()
    assert payload["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"

    answer = post(integration, payload).json()

    assert len(answer["created"]) == 1
    state = AlertState.objects.get()
    assert (state.status, state.ends_at, f"{state.starts_at:%H:%M:%S}") == (
        "firing",
        None,
        "09:58:30",
    )


def test_the_expected_expiry_on_a_firing_alert_is_not_its_end(post, checkout):
    # Prometheus sends firing alerts with endsAt in the future (when they would expire if not
    # sent again); only a resolved alert's endsAt is an end. Had 10:50 been kept as the end,
    # the 10:25 firing below would be taken for a repeat.
    integration = IntegrationFactory(component=checkout)
    payload = firing()
    payload["alerts"][0]["endsAt"] = "2030-01-07T10:50:00Z"
    post(integration, payload)
    post(integration, resolved())

    answer = post(integration, firing(starts_at="2030-01-07T10:25:00Z")).json()

    assert len(answer["created"]) == 1
    assert Incident.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("startsAt", "yesterday"), ("startsAt", "2030-01-07T09:58:30"), ("endsAt", "2030-13-01")],
)
def test_a_bad_alertmanager_time_is_a_400_naming_it_and_kept(api_client, checkout, field, value):
    integration = IntegrationFactory(component=checkout)
    payload = firing()
    payload["alerts"][0][field] = value

    response = _post_alert(api_client, integration, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        f"alerts[0].{field} must be an RFC 3339 date-time with a UTC offset "
        f"(like 2030-01-07T09:58:30Z), not {json.dumps(value)}."
    ]
    assert not Incident.objects.exists()
    item = InboxItem.objects.get()
    assert json.loads(bytes(item.body)) == payload


def test_truncated_alerts_are_noted_on_the_timeline(post, checkout):
    integration = IntegrationFactory(component=checkout)
    payload = firing()
    payload["truncatedAlerts"] = 3

    post(integration, payload)

    entry = Incident.objects.get().timeline.get(kind="alert")
    assert entry.text == (
        "Alert fired: Checkout error rate above 5% Alertmanager left 3 more alerts out of this "
        "notification (its max_alerts); Rota has not seen them."
    )
    assert entry.data["truncatedAlerts"] == 3


def test_a_truncated_group_is_never_taken_for_a_repeat(post, checkout):
    # The alerts left out may be new firings: with only repeats visible, Rota opens an
    # incident rather than risk missing one.
    integration = IntegrationFactory(component=checkout)
    post(integration, firing())
    post(integration, resolved())
    payload = firing()
    payload["truncatedAlerts"] = 1

    answer = post(integration, payload).json()

    assert len(answer["created"]) == 1
    assert Page.objects.count() == 2


@pytest.mark.parametrize("value", [-1, "3", 1.5, True])
def test_a_bad_truncated_alerts_count_is_a_400_naming_it(api_client, checkout, value):
    integration = IntegrationFactory(component=checkout)
    payload = firing()
    payload["truncatedAlerts"] = value

    response = _post_alert(api_client, integration, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        f"truncatedAlerts must be a whole number of at least 0, not {json.dumps(value)}."
    ]
    assert InboxItem.objects.count() == 1


def test_reading_a_large_group_costs_no_query_per_alert(api_client, checkout):
    def group(size, key):
        payload = alertmanager_payload(group_key=key)
        template = payload["alerts"][0]
        payload["alerts"] = [
            {**copy.deepcopy(template), "fingerprint": f"{key}-{n:04d}"} for n in range(size)
        ]
        return payload

    integration = IntegrationFactory(component=checkout)
    # The first incident in a component computes who is on call now; later ones read the
    # process's answer (rota.routing_cache). Warm it, so both sizes open alike.
    _post_alert(api_client, integration, group(1, "warm-up"))
    counts = []
    for size, key in ((2, "small"), (40, "large")):
        for _ in range(2):  # opening, then grouping into the open incident
            with CaptureQueriesContext(connection) as queries:
                _post_alert(api_client, integration, group(size, key))
            counts.append(len(queries))

    assert counts[0] == counts[2]
    assert counts[1] == counts[3]
    assert AlertState.objects.count() == 43


# --- Rota's generic format --------------------------------------------------------------


def generic(status="firing", starts_at=None):
    alert = {"title": "Disk almost full", "component": "checkout", "fingerprint": "db-1-disk"}
    if status == "resolved":
        alert = {"fingerprint": "db-1-disk", "status": "resolved"}
    if starts_at is not None:
        alert["starts_at"] = starts_at
    return alert


def test_a_generic_stale_firing_with_starts_at_is_a_repeat(post, checkout):
    integration = IntegrationFactory(kind="generic", component=None)
    post(integration, generic(starts_at="2030-01-07T11:58:30+02:00"))
    post(integration, generic("resolved"))

    # The same firing (09:58:30 UTC) again: a repeat. The resolved named no time, so the
    # firing it ended is its end.
    answer = post(integration, generic(starts_at="2030-01-07T09:58:30Z")).json()

    incident = Incident.objects.get()
    assert answer["repeats"] == [incident.pk]
    assert Page.objects.count() == 1
    assert incident.timeline.order_by("at", "id").last().text == (
        "Alert repeated: Disk almost full (a late or repeated notification: it started "
        f"{STARTED} and had ended {STARTED}; no new incident, nobody paged.)"
    )


def test_a_generic_firing_that_started_later_is_a_new_incident(post, checkout):
    integration = IntegrationFactory(kind="generic", component=None)
    post(integration, generic(starts_at="2030-01-07T09:58:30Z"))
    post(integration, generic("resolved", starts_at="2030-01-07T09:58:30Z"))

    answer = post(integration, generic(starts_at="2030-01-07T09:59:00Z")).json()

    assert len(answer["created"]) == 1
    assert Incident.objects.count() == 2
    assert Page.objects.count() == 2


def test_a_generic_firing_without_starts_at_after_resolution_is_new(post, checkout):
    # Without a start Rota cannot tell a repeat from a new firing; it opens an incident.
    integration = IntegrationFactory(kind="generic", component=None)
    post(integration, generic())
    post(integration, generic("resolved"))

    answer = post(integration, generic()).json()

    assert len(answer["created"]) == 1
    assert Incident.objects.count() == 2


@pytest.mark.parametrize("value", ["tomorrow", "2030-01-07 09:58", 1767780000, ""])
def test_a_bad_generic_starts_at_is_a_400_naming_it_and_kept(api_client, checkout, value):
    integration = IntegrationFactory(kind="generic", component=None)
    payload = generic(starts_at=value)

    response = _post_alert(api_client, integration, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "starts_at must be an RFC 3339 date-time with a UTC offset (like 2030-01-07T09:58:30Z), "
        f"not {json.dumps(value)}."
    ]
    assert not Incident.objects.exists()
    item = InboxItem.objects.get()
    assert (item.reason, json.loads(bytes(item.body))) == ("payload", payload)
