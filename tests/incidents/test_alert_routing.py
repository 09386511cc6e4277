"""An Alertmanager alert opens one incident routed to the team on support for its component."""

import datetime

import pytest
from django.core import mail

from incidents.models import Incident, Page, TimelineEntry
from ownership import services as ownership
from rota import services as rota
from rota.models import Rotation
from rota.routing import responders
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, TeamRotationFactory

from .factories import IntegrationFactory
from .helpers import alertmanager_payload, on_call_now, post_alert

pytestmark = pytest.mark.django_db(transaction=False)

UTC = datetime.UTC


@pytest.fixture
def payments():
    return TeamFactory(slug="payments")


@pytest.fixture
def checkout(payments):
    return ComponentFactory(slug="checkout", owner_team=payments)


def only_incident():
    incidents = list(Incident.objects.all())
    assert len(incidents) == 1
    return incidents[0]


def test_total_ownership_routes_to_the_owning_teams_primary(api_client, payments, checkout):
    rota.support_policy_create(name="Everyone owns their code", model="ownership")
    on_call_now(payments, "alice")
    on_call_now(payments, "bob", role=Rotation.Role.SECONDARY)
    on_call_now(TeamFactory(slug="web"), "wendy")
    integration = IntegrationFactory(component=None)

    response = post_alert(api_client, integration, alertmanager_payload(component="checkout"))

    assert response.status_code == 200, response.content
    incident = only_incident()
    assert response.json()["created"] == [incident.pk]
    assert incident.title == "Checkout error rate above 5%"
    assert (incident.severity, incident.urgency, incident.status) == (
        "SEV1",
        "interrupting",
        "triggered",
    )
    assert incident.component == checkout
    assert (incident.owning_team, incident.responding_team) == (payments, payments)
    assert (incident.responder.username, incident.secondary_responder.username) == ("alice", "bob")
    assert incident.support_model == "ownership"
    assert incident.fingerprint.startswith("am-group:")


def test_dedicated_support_routes_to_the_support_team(api_client, payments, checkout):
    sre = TeamFactory(slug="sre")
    rota.support_policy_create(
        name="SRE runs checkout", model="dedicated", dedicated_team=sre, components=["checkout"]
    )
    on_call_now(payments, "alice")
    on_call_now(sre, "sam")
    integration = IntegrationFactory(component=None)

    response = post_alert(api_client, integration, alertmanager_payload(component="checkout"))

    assert response.status_code == 200, response.content
    incident = only_incident()
    assert (incident.owning_team, incident.responding_team) == (payments, sre)
    assert incident.responder.username == "sam"
    assert incident.support_model == "dedicated"
    assert incident.support_policy.name == "SRE runs checkout"


def test_rotating_support_routes_to_the_team_on_shift_and_its_on_call_person(
    api_client, payments, checkout
):
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    today = datetime.datetime.now(UTC).date()
    teams = TeamRotationFactory(
        participants=[alpha, beta],
        shift_length_unit="weeks",
        shift_length_count=2,
        timezone="UTC",
        start_date=today - datetime.timedelta(days=1),
    )
    anna, bert = UserFactory(username="anna"), UserFactory(username="bert")
    people = {}
    for team, person in ((alpha, anna), (beta, bert)):
        people[team] = RotationFactory(
            team=team, participants=[person], timezone="UTC", start_date=teams.start_date
        )
    for rotation in (teams, *people.values()):
        rota.rotation_generate(rotation=rotation, until=today + datetime.timedelta(days=30))
    rota.support_policy_create(name="Support shifts", model="rotating", team_rotation=teams)
    integration = IntegrationFactory(component=checkout)

    # No component label: the integration's component applies.
    response = post_alert(api_client, integration, alertmanager_payload())

    assert response.status_code == 200, response.content
    incident = only_incident()
    assert incident.component == checkout
    assert (incident.owning_team, incident.responding_team) == (payments, alpha)
    assert incident.responder == anna
    assert incident.support_model == "rotating"


def test_the_incident_keeps_its_routing_when_the_rota_and_the_owner_change(
    api_client, user_client, payments, checkout
):
    rotation, alice = on_call_now(payments, "alice")
    integration = IntegrationFactory(component=checkout)
    post_alert(api_client, integration, alertmanager_payload())
    incident = only_incident()

    carol = UserFactory(username="carol")
    rota.shift_reassign(shift=rotation.shifts.get(), user=carol)
    assert responders(component=checkout).primary.user == carol
    platform = TeamFactory(slug="platform")
    ownership.component_update(component=checkout, owner_team=platform)
    assert responders(component=checkout).responding_team == platform

    incident.refresh_from_db()
    assert (incident.responder, incident.owning_team, incident.responding_team) == (
        alice,
        payments,
        payments,
    )
    body = user_client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert (body["responder"], body["owning_team"], body["responding_team"]) == (
        "alice",
        "payments",
        "payments",
    )


def test_the_first_page_goes_out_at_once_and_is_on_the_timeline(
    api_client, payments, checkout, send_pages, django_capture_on_commit_callbacks
):
    on_call_now(payments, "alice")
    MembershipFactory(team=payments, role="lead", user=UserFactory(username="lena"))
    integration = IntegrationFactory(component=checkout)

    with django_capture_on_commit_callbacks(execute=True):
        post_alert(api_client, integration, alertmanager_payload())

    incident = only_incident()
    page = Page.objects.get()
    assert (page.incident, page.user.username, page.step, page.status) == (
        incident,
        "alice",
        "primary",
        "sent",
    )
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "[SEV1] Incident" in mail.outbox[0].subject
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == [TimelineEntry.Kind.STATUS, TimelineEntry.Kind.PAGE, TimelineEntry.Kind.ALERT]
