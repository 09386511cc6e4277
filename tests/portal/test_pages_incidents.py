"""The incident pages: a filtered list, and an incident with its timeline and actions."""

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, TimelineEntry
from tests.incidents.factories import IncidentFactory, TimelineEntryFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="Payments", slug="payments")


@pytest.fixture
def member(team):
    return MembershipFactory(team=team).user


@pytest.fixture
def component(team):
    return ComponentFactory(owner_team=team, name="Billing API")


@pytest.fixture
def incident(component):
    return IncidentFactory(component=component, title="Invoices fail", severity="SEV1")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def titles(response) -> list[str]:
    return [i.title for i in response.context["page"].object_list]


def test_list_shows_open_incidents_by_default(signed_in, incident, component):
    IncidentFactory(component=component, title="Old", status="resolved", resolved_at=timezone.now())
    response = signed_in.get("/incidents/")
    assert titles(response) == ["Invoices fail"]
    html = response.content.decode()
    assert f'href="/incidents/{incident.pk}/"' in html
    assert 'class="sev sev1"' in html


def test_list_filters_by_status_severity_team_and_text(signed_in, incident, component):
    IncidentFactory(component=component, title="Old", status="resolved", resolved_at=timezone.now())
    elsewhere = IncidentFactory(title="Search slow", severity="SEV3")
    assert titles(signed_in.get("/incidents/", {"state": "resolved"})) == ["Old"]
    assert set(titles(signed_in.get("/incidents/", {"state": ""}))) == {
        "Old",
        "Invoices fail",
        "Search slow",
    }
    assert titles(signed_in.get("/incidents/", {"severity": "SEV3"})) == ["Search slow"]
    assert titles(signed_in.get("/incidents/", {"team": "payments"})) == ["Invoices fail"]
    assert titles(signed_in.get("/incidents/", {"q": elsewhere.component.slug})) == ["Search slow"]
    assert titles(signed_in.get("/incidents/", {"q": "invoices"})) == ["Invoices fail"]


def test_a_bad_filter_is_explained_not_a_500(signed_in, incident):
    response = signed_in.get("/incidents/", {"team": "ghost", "severity": "SEV9"})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="error"') == 2


def test_list_pages_through_many_incidents(signed_in, component):
    IncidentFactory.create_batch(30, component=component)
    first = signed_in.get("/incidents/")
    assert len(first.context["page"].object_list) == 25
    assert 'rel="next"' in first.content.decode()
    assert len(signed_in.get("/incidents/", {"page": 2}).context["page"].object_list) == 5
    assert signed_in.get("/incidents/", {"page": "x"}).status_code == 200


def test_detail_shows_routing_and_the_timeline(signed_in, incident):
    TimelineEntryFactory(incident=incident, text="Rolled back release 42")
    html = signed_in.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Invoices fail" in html
    assert "Rolled back release 42" in html
    assert incident.responder.username in html or incident.responder.get_full_name() in html
    assert f'action="/incidents/{incident.pk}/acknowledge/"' in html


def test_anyone_acknowledges(signed_in, incident):
    response = signed_in.post(f"/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.timeline.filter(kind="status", text__startswith="Acknowledged").exists()


def test_acknowledging_twice_explains_the_state(signed_in, incident, user):
    services.incident_acknowledge(incident=incident, by=user)
    response = signed_in.post(f"/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 409
    assert "is already acknowledged" in response.content.decode()


def test_only_responders_mitigate(signed_in, client, incident, member):
    response = signed_in.post(f"/incidents/{incident.pk}/mitigate/", {"kind": "rollback"})
    assert response.status_code == 403
    assert "Only the responders" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "triggered"

    client.force_login(member)
    assert f'action="/incidents/{incident.pk}/mitigate/"' in (
        client.get(f"/incidents/{incident.pk}/").content.decode()
    )
    response = client.post(
        f"/incidents/{incident.pk}/mitigate/", {"kind": "rollback", "note": "Back to 41."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.mitigation_kind) == ("mitigated", "rollback")
    assert incident.timeline.filter(text__contains="Back to 41.").exists()


def test_mitigating_without_a_kind_shows_the_error_next_to_the_field(client, incident, member):
    client.force_login(member)
    response = client.post(f"/incidents/{incident.pk}/mitigate/", {"kind": "prayer"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_responder_resolves(client, incident, member):
    client.force_login(member)
    assert client.post(f"/incidents/{incident.pk}/resolve/", {"note": "Fixed"}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Resolved" in html and "/resolve/" not in html


def test_anyone_adds_a_note_and_an_empty_one_is_refused(signed_in, incident):
    response = signed_in.post(f"/incidents/{incident.pk}/note/", {"text": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert signed_in.post(f"/incidents/{incident.pk}/note/", {"text": "On it"}).status_code == 302
    assert incident.timeline.get(kind=TimelineEntry.Kind.NOTE).text == "On it"


def test_unknown_incident_is_404(signed_in):
    assert signed_in.get("/incidents/999999/").status_code == 404
    assert signed_in.post("/incidents/999999/acknowledge/").status_code == 404


# session, user, zone, teams for the filter's choices, count, page of incidents; filtering by
# team looks the team up too
LIST_QUERIES = 6
LIST_BY_TEAM_QUERIES = 7
# session, user, zone, incident, fallback responders, timeline, bugs, may-respond (team
# membership)
DETAIL_QUERIES = 8


@pytest.mark.parametrize("size", [1, 20])
def test_query_counts_are_pinned(signed_in, django_assert_num_queries, size):
    teams = TeamFactory.create_batch(size)
    incidents = [IncidentFactory(component=ComponentFactory(owner_team=t)) for t in teams]
    for incident in incidents:
        TimelineEntryFactory.create_batch(3, incident=incident)
    with django_assert_num_queries(LIST_BY_TEAM_QUERIES):
        assert signed_in.get("/incidents/", {"state": "", "team": teams[0].slug}).status_code == 200
    with django_assert_num_queries(LIST_QUERIES):
        assert signed_in.get("/incidents/").status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES):
        assert signed_in.get(f"/incidents/{incidents[-1].pk}/").status_code == 200
