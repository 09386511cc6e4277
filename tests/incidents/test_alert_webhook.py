"""The alert webhook: grouping, resolving, signatures, refusals kept in the inbox."""

import datetime
import json
import logging

import pytest
from django.test import Client

from incidents.models import InboxItem, Incident, TimelineEntry
from tests.ownership.factories import ComponentFactory

from .factories import IntegrationFactory
from .helpers import alertmanager_payload, post_alert

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SECRET = "s3cret-signing-key"


@pytest.fixture
def checkout():
    return ComponentFactory(slug="checkout")


@pytest.fixture
def integration(checkout):
    return IntegrationFactory(component=checkout)


def test_a_repeat_of_the_same_alert_groups_into_the_open_incident(api_client, integration):
    first = post_alert(api_client, integration, alertmanager_payload())
    second = post_alert(api_client, integration, alertmanager_payload())

    incident = Incident.objects.get()
    assert first.json()["created"] == [incident.pk]
    assert second.json() == {
        "status": "ok",
        "created": [],
        "grouped": [incident.pk],
        "resolved": [],
        "repeats": [],
        "ignored": 0,
        "nobody_paged": [],
    }
    alerts = incident.timeline.filter(kind=TimelineEntry.Kind.ALERT)
    assert [entry.text for entry in alerts] == [
        "Alert fired: Checkout error rate above 5%",
        "Alert fired again: Checkout error rate above 5%",
    ]
    assert alerts[0].data["alerts"][0]["fingerprint"] == "5c9d1e2a7b3f4d60"


def test_a_resolved_alert_resolves_the_incident(api_client, integration):
    post_alert(api_client, integration, alertmanager_payload())

    response = post_alert(api_client, integration, alertmanager_payload(status="resolved"))

    incident = Incident.objects.get()
    assert response.json()["resolved"] == [incident.pk]
    assert incident.status == "resolved"
    assert incident.resolved_at is not None
    assert (incident.resolved_by, incident.acknowledged_at) == (None, None)
    assert incident.timeline.last().text == "Resolved: the alert cleared."


def test_a_resolved_alert_leaves_the_incident_open_when_the_integration_says_so(
    api_client, checkout
):
    integration = IntegrationFactory(component=checkout, resolve_on_alert_resolved=False)
    post_alert(api_client, integration, alertmanager_payload())

    post_alert(api_client, integration, alertmanager_payload(status="resolved"))

    incident = Incident.objects.get()
    assert incident.status == "triggered"
    assert incident.timeline.last().text == "Alert resolved: Checkout error rate above 5%"


def test_firing_again_after_resolution_opens_a_new_incident(api_client, integration):
    post_alert(api_client, integration, alertmanager_payload())
    post_alert(api_client, integration, alertmanager_payload(status="resolved"))
    # It resolved at 10:20; this firing started at 10:25, so it is a new one (the same
    # startsAt again would be a repeat: tests/incidents/test_alert_repeats.py).
    again = alertmanager_payload()
    again["alerts"][0]["startsAt"] = "2030-01-07T10:25:00Z"

    response = post_alert(api_client, integration, again)

    assert Incident.objects.count() == 2
    assert response.json()["created"] == [Incident.objects.first().pk]


def test_a_resolved_alert_without_an_open_incident_is_ignored(api_client, integration):
    response = post_alert(api_client, integration, alertmanager_payload(status="resolved"))

    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    assert not Incident.objects.exists()


def test_per_alert_grouping_opens_one_incident_per_fingerprint(api_client, checkout):
    integration = IntegrationFactory(component=checkout, grouping="alert")
    payload = alertmanager_payload()
    second = json.loads(json.dumps(payload["alerts"][0]))
    second["labels"]["instance"] = "checkout-2:8080"
    second["fingerprint"] = "77aa00bb11cc22dd"
    payload["alerts"].append(second)

    post_alert(api_client, integration, payload)
    payload["status"] = "firing"
    payload["alerts"] = [{**second, "status": "resolved"}]
    post_alert(api_client, integration, payload)

    incidents = {i.fingerprint: i.status for i in Incident.objects.all()}
    assert incidents == {
        "am-alert:5c9d1e2a7b3f4d60": "triggered",
        "am-alert:77aa00bb11cc22dd": "resolved",
    }


def test_the_component_label_wins_then_service_then_the_integration(api_client, integration):
    ComponentFactory(slug="payments-api")
    ComponentFactory(slug="search")

    post_alert(api_client, integration, alertmanager_payload(component="payments-api"))
    post_alert(api_client, integration, alertmanager_payload(group_key="g2", service="search"))
    post_alert(api_client, integration, alertmanager_payload(group_key="g3", service="nope"))

    slugs = list(Incident.objects.order_by("id").values_list("component__slug", flat=True))
    assert slugs == ["payments-api", "search", "checkout"]
    fallback = Incident.objects.order_by("id").last()
    assert "nope, which the catalog does not know" in fallback.timeline.last().text


def test_an_alert_with_no_component_is_refused_and_kept(api_client):
    integration = IntegrationFactory(component=None)

    response = post_alert(api_client, integration, alertmanager_payload(component="ghost"))

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The alert 'Checkout error rate above 5%' has no component. The alert names ghost, "
        "which the catalog does not know. Give it a label 'component' or 'service' naming a "
        "component slug, or give the integration a component."
    )
    assert not Incident.objects.exists()
    item = InboxItem.objects.get()
    assert (item.integration, item.reason, item.status_code) == (integration, "payload", 400)


def test_malformed_json_is_a_400_with_the_reason_and_nothing_is_lost(api_client, integration):
    body = b'{"version": "4", "status": "firing", "alerts": [ {"status": '

    response = post_alert(api_client, integration, None, raw=body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid JSON")
    # README: a 400 has detail and a list of errors, also with a single cause.
    assert response.json()["errors"] == [response.json()["detail"]]
    assert not Incident.objects.exists()
    item = InboxItem.objects.get()
    assert bytes(item.body) == body
    assert item.reason == "payload"
    assert item.error == response.json()["detail"]
    assert item.headers["Content-Type"] == "application/json"


def test_a_payload_in_the_wrong_shape_names_every_problem(api_client, integration):
    payload = alertmanager_payload()
    payload["alerts"][0]["status"] = "pending"
    payload["alerts"][0]["labels"] = {"severity": 3}

    response = post_alert(api_client, integration, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "alerts[0].status must be 'firing' or 'resolved', not \"pending\".",
        "alerts[0].labels.severity must be a string.",
    ]
    assert InboxItem.objects.count() == 1


def test_an_unsupported_alertmanager_version_is_refused(api_client, integration):
    payload = alertmanager_payload()
    payload["version"] = "3"

    response = post_alert(api_client, integration, payload)

    assert response.status_code == 400
    assert 'version "3"' in response.json()["detail"]
    assert response.json()["errors"] == [response.json()["detail"]]


def test_a_correct_signature_is_accepted(api_client, checkout):
    integration = IntegrationFactory(component=checkout, signing_secret=SECRET)

    response = post_alert(api_client, integration, alertmanager_payload(), signed_with=SECRET)

    assert response.status_code == 200
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    "how",
    ["wrong key", "unsigned", "body changed"],
)
def test_a_bad_signature_is_a_401_and_kept_in_the_inbox(api_client, checkout, how):
    integration = IntegrationFactory(component=checkout, signing_secret=SECRET)
    payload = alertmanager_payload()
    if how == "wrong key":
        response = post_alert(api_client, integration, payload, signed_with="guess")
    elif how == "unsigned":
        response = post_alert(api_client, integration, payload)
    else:
        stamp = str(int(datetime.datetime.now(UTC).timestamp()))
        from incidents.security import sign

        signature = sign(SECRET, stamp, json.dumps(payload).encode())
        response = api_client.post(
            f"/api/v1/integrations/{integration.token}/alerts/",
            data=json.dumps({**payload, "status": "resolved"}),
            content_type="application/json",
            HTTP_X_ROTA_TIMESTAMP=stamp,
            HTTP_X_ROTA_SIGNATURE=signature,
        )

    assert response.status_code == 401
    assert not Incident.objects.exists()
    item = InboxItem.objects.get()
    assert item.reason == "signature"
    assert "X-Rota-Signature" not in item.headers


def test_a_stale_timestamp_is_a_401_even_when_signed_correctly(api_client, checkout):
    integration = IntegrationFactory(component=checkout, signing_secret=SECRET)
    six_minutes_ago = datetime.datetime.now(UTC).timestamp() - 6 * 60

    response = post_alert(
        api_client,
        integration,
        alertmanager_payload(),
        signed_with=SECRET,
        timestamp=six_minutes_ago,
    )

    assert response.status_code == 401
    assert "seconds away from the server's clock" in response.json()["detail"]
    assert not Incident.objects.exists()
    assert InboxItem.objects.get().reason == "stale"


def test_an_unknown_url_is_a_404_and_a_regenerated_url_replaces_the_old_one(
    api_client, integration
):
    from incidents import services

    old_token = integration.token
    new_url = services.integration_regenerate(integration=integration)

    stale = post_alert(api_client, integration, alertmanager_payload())
    integration.token = new_url.rstrip("/").split("/")[-2]
    fresh = post_alert(api_client, integration, alertmanager_payload())

    assert stale.status_code == 404
    assert fresh.status_code == 200
    assert integration.token != old_token
    assert Incident.objects.count() == 1


def test_requests_beyond_the_rate_limit_get_429(api_client, checkout, monkeypatch):
    from types import SimpleNamespace

    from incidents import security

    # 15 s into a minute (1,800,000,000 is a whole number of minutes): the window ends in 45 s.
    monkeypatch.setattr(security, "time", SimpleNamespace(time=lambda: 1_800_000_015.0))
    integration = IntegrationFactory(component=checkout, rate_limit_per_minute=2)

    answers = [
        post_alert(api_client, integration, alertmanager_payload()).status_code for _ in range(3)
    ]

    assert answers[:2] == [200, 200]
    last = post_alert(api_client, integration, alertmanager_payload())
    assert (answers[2], last.status_code) == (429, 429)
    assert last["Retry-After"] == "45"
    assert not InboxItem.objects.exists()


def test_an_inactive_integration_refuses_but_keeps_the_payload(api_client, checkout):
    integration = IntegrationFactory(component=checkout, active=False)

    response = post_alert(api_client, integration, alertmanager_payload())

    assert response.status_code == 403
    assert not Incident.objects.exists()
    assert InboxItem.objects.get().reason == "inactive"


def test_the_webhook_needs_no_session_or_csrf_token(integration):
    client = Client(enforce_csrf_checks=True)

    response = post_alert(client, integration, alertmanager_payload())

    assert response.status_code == 200
    # The alert was taken, not just answered: it opened an incident on the component.
    assert Incident.objects.get().component == integration.component


def test_the_token_is_never_logged(api_client, integration, caplog):
    with caplog.at_level(logging.DEBUG):
        post_alert(api_client, integration, None, raw=b"not json")
        post_alert(api_client, integration, alertmanager_payload())
        api_client.get(f"/api/v1/integrations/{integration.token}/alerts/")

    assert caplog.records
    assert all(integration.token not in record.getMessage() for record in caplog.records)


def test_generic_alerts_open_group_and_resolve(api_client, checkout):
    integration = IntegrationFactory(kind="generic", component=None)
    alert = {
        "title": "Disk almost full on db-1",
        "severity": "major",
        "component": "checkout",
        "fingerprint": "db-1-disk",
        "description": "92% used",
        "links": [{"href": "https://grafana.example.com/d/db", "text": "Dashboard"}],
    }

    created = post_alert(api_client, integration, alert)
    grouped = post_alert(api_client, integration, alert)
    resolved = post_alert(
        api_client, integration, {"fingerprint": "db-1-disk", "status": "resolved"}
    )

    incident = Incident.objects.get()
    assert (created.json()["created"], grouped.json()["grouped"]) == ([incident.pk], [incident.pk])
    assert resolved.json()["resolved"] == [incident.pk]
    assert (incident.severity, incident.urgency, incident.status) == (
        "SEV2",
        "interrupting",
        "resolved",
    )
    assert incident.description == (
        "92% used\n\nLinks:\n- Dashboard: https://grafana.example.com/d/db"
    )


def test_a_generic_alert_with_unknown_fields_is_refused(api_client, checkout):
    integration = IntegrationFactory(kind="generic", component=checkout)

    response = post_alert(api_client, integration, {"title": "x", "sevrity": "SEV1"})

    assert response.status_code == 400
    assert response.json()["errors"] == ["Unknown field(s): sevrity."]


def test_a_kept_payload_is_processed_again_once_its_component_exists(api_client):
    from incidents import services

    integration = IntegrationFactory(component=None)
    post_alert(api_client, integration, alertmanager_payload(component="billing"))
    item = InboxItem.objects.get()

    ComponentFactory(slug="billing")
    result = services.inbox_reprocess(item=item)

    incident = Incident.objects.get()
    assert result.created == [incident.pk]
    item.refresh_from_db()
    assert item.processed_at is not None
    assert list(item.incidents.all()) == [incident]


def test_a_worse_repeat_raises_the_severity(api_client, integration):
    post_alert(api_client, integration, alertmanager_payload(severity="warning"))

    post_alert(api_client, integration, alertmanager_payload(severity="critical"))

    incident = Incident.objects.get()
    assert incident.severity == "SEV1"
    assert incident.timeline.filter(kind="change", text="Severity SEV3 -> SEV1.").exists()


def test_an_alert_nobody_can_be_paged_for_says_so_in_the_answer(api_client):
    # "orphan" has no owner, no policy routes it and no fallback is set: the incident is
    # opened, and the monitoring system is told that nobody was paged for it.
    ComponentFactory(slug="orphan", owner_team=None)
    integration = IntegrationFactory(kind="generic", component=None)
    answer = post_alert(
        api_client,
        integration,
        {"title": "Orphan down", "component": "orphan", "fingerprint": "orphan-1"},
    ).json()
    incident = Incident.objects.get()
    assert (answer["created"], answer["nobody_paged"]) == ([incident.pk], [incident.pk])
    assert incident.timeline.filter(text__startswith="Nobody was paged").exists()


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_a_method_other_than_post_is_a_405_in_json(api_client, method):
    integration = IntegrationFactory()
    url = f"/api/v1/integrations/{integration.token}/alerts/"
    response = getattr(api_client, method)(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"] == "application/json"
    verb = method.upper()
    assert response.json() == {"detail": f'Method "{verb}" not allowed; alerts are sent with POST.'}
