"""The incidents admin: colour-coded lists, creation through the services, actions."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from incidents.models import Bug, InboxItem, Incident, Integration
from tests.ownership.factories import ComponentFactory, TeamFactory

from .factories import BugFactory, IncidentFactory, IntegrationFactory, TimelineEntryFactory
from .helpers import alertmanager_payload, on_call_now, post_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-pw-pw-123")
    client = Client()
    client.force_login(user)
    return client


def test_the_incident_list_colours_severity_and_status(admin_client):
    IncidentFactory(severity="SEV1", title="Checkout down")

    response = admin_client.get("/admin/incidents/incident/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Checkout down" in html
    assert 'title="SEV1 - critical: red blinking lights' in html
    assert "background:#b71c1c;color:#fff" in html
    assert ">Triggered</span>" in html


def test_the_list_filters_and_searches(admin_client):
    IncidentFactory(title="Disk full", status="resolved", resolved_at="2030-01-01T00:00Z")
    IncidentFactory(title="Latency")

    open_only = admin_client.get("/admin/incidents/incident/", {"status__exact": "triggered"})
    searched = admin_client.get("/admin/incidents/incident/", {"q": "disk"})

    assert "Latency" in open_only.content.decode()
    assert "Disk full" not in open_only.content.decode()
    assert "Disk full" in searched.content.decode()


def test_the_change_page_shows_the_timeline_and_takes_a_note(admin_client):
    incident = IncidentFactory()
    TimelineEntryFactory(incident=incident, text="Rolled back release 42")
    url = f"/admin/incidents/incident/{incident.pk}/change/"

    page = admin_client.get(url)
    assert "Rolled back release 42" in page.content.decode()

    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "severity": incident.severity,
            "urgency": incident.urgency,
            "timeline-TOTAL_FORMS": 1,
            "timeline-INITIAL_FORMS": 1,
            "timeline-0-id": incident.timeline.get().pk,
            "timeline-0-incident": incident.pk,
            "timeline-2-TOTAL_FORMS": 1,
            "timeline-2-INITIAL_FORMS": 0,
            "timeline-2-0-text": "Customer support informed.",
            "pages-TOTAL_FORMS": 0,
            "pages-INITIAL_FORMS": 0,
        }
    )
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    note = incident.timeline.order_by("-id").first()
    assert (note.kind, note.text, note.author.username) == (
        "note",
        "Customer support informed.",
        "root",
    )


def test_adding_an_incident_routes_it(admin_client):
    team = TeamFactory(slug="payments")
    component = ComponentFactory(owner_team=team)
    on_call_now(team, "alice")

    response = admin_client.post(
        "/admin/incidents/incident/add/",
        {"title": "Card payments fail", "severity": "SEV1", "component": component.pk},
    )

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.responding_team, incident.responder.username) == (team, "alice")
    assert incident.urgency == "interrupting"


def test_acknowledge_and_resolve_actions(admin_client):
    triggered = IncidentFactory()
    resolved = IncidentFactory(status="resolved", resolved_at="2030-01-01T00:00Z")

    admin_client.post(
        "/admin/incidents/incident/",
        {"action": "acknowledge", "_selected_action": [triggered.pk, resolved.pk]},
    )
    triggered.refresh_from_db()
    assert triggered.status == "acknowledged"
    assert triggered.acknowledged_by.username == "root"

    response = admin_client.post(
        "/admin/incidents/incident/",
        {"action": "resolve", "_selected_action": [triggered.pk]},
        follow=True,
    )
    triggered.refresh_from_db()
    assert triggered.status == "resolved"
    assert "Resolved 1 incident(s)." in response.content.decode()


def test_creating_an_integration_shows_its_url_once(admin_client):
    response = admin_client.post(
        "/admin/incidents/integration/add/",
        {
            "name": "Prometheus",
            "kind": "alertmanager",
            "grouping": "group",
            "default_severity": "SEV3",
            "rate_limit_per_minute": 60,
            "active": "on",
            "resolve_on_alert_resolved": "on",
        },
        follow=True,
    )

    integration = Integration.objects.get()
    html = response.content.decode()
    assert "/api/v1/integrations/" in html
    assert "will not show it again" in html
    change = admin_client.get(f"/admin/incidents/integration/{integration.pk}/change/")
    assert "/api/v1/integrations/" not in change.content.decode()


def test_the_regenerate_action_changes_the_url(admin_client):
    integration = IntegrationFactory()
    before = integration.token_hash

    response = admin_client.post(
        "/admin/incidents/integration/",
        {"action": "regenerate", "_selected_action": [integration.pk]},
        follow=True,
    )

    integration.refresh_from_db()
    assert integration.token_hash != before
    assert "/api/v1/integrations/" in response.content.decode()


def test_the_inbox_shows_refused_payloads_and_processes_them_again(admin_client, api_client):
    integration = IntegrationFactory(component=None)
    post_alert(api_client, integration, alertmanager_payload(component="billing"))
    item = InboxItem.objects.get()

    listing = admin_client.get("/admin/incidents/inboxitem/")
    detail = admin_client.get(f"/admin/incidents/inboxitem/{item.pk}/change/")
    ComponentFactory(slug="billing")
    admin_client.post(
        "/admin/incidents/inboxitem/",
        {"action": "process_again", "_selected_action": [item.pk]},
    )

    assert "has no component" in listing.content.decode()
    assert "HighErrorRate" in detail.content.decode()
    assert Incident.objects.get().component.slug == "billing"


def test_the_bug_list_offers_the_triage_queue_and_flags_overruns(admin_client):
    BugFactory(title="Open one")
    BugFactory(title="Closed one", outcome=Bug.Outcome.WONT_FIX)

    response = admin_client.get("/admin/incidents/bug/", {"triage": "queue"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Open one" in html
    assert "Closed one" not in html


def test_the_alert_states_are_listed_read_only(admin_client, api_client):
    integration = IntegrationFactory(component=ComponentFactory(slug="checkout"))
    post_alert(api_client, integration, alertmanager_payload(status="resolved"))

    listing = admin_client.get("/admin/incidents/alertstate/")
    add = admin_client.get("/admin/incidents/alertstate/add/")

    assert listing.status_code == 200
    html = listing.content.decode()
    assert "am-alert:5c9d1e2a7b3f4d60" in html
    assert "Resolved" in html
    assert add.status_code == 403
