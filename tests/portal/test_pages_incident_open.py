"""The page that opens an incident: routed and paged like the API, bad input explained."""

import datetime

import pytest
from django.utils import timezone

from incidents import queue
from incidents.models import Incident, Page, TimelineEntry
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

URL = "/incidents/new/"


@pytest.fixture
def alice():
    """Alice Martin of Payments is on call now; Payments owns Checkout API (no policy)."""
    team = TeamFactory(name="Payments", slug="payments")
    user = UserFactory(username="alice.martin", first_name="Alice", last_name="Martin")
    MembershipFactory(team=team, user=user)
    rotation = RotationFactory(team=team, name="Payments on call", participants=[user])
    start = timezone.now() - datetime.timedelta(days=1)
    ShiftFactory(rotation=rotation, user=user, start=start)
    ComponentFactory(slug="checkout-api", name="Checkout API", owner_team=team)
    return user


@pytest.fixture
def reporter(client):
    user = UserFactory(username="sam.reporter")
    client.force_login(user)
    return user


@pytest.fixture
def published(monkeypatch):
    """Record the pages handed to the broker instead of sending them."""
    sent = []
    monkeypatch.setattr(queue, "publish_page", sent.append)
    return sent


def test_the_form_lists_components_and_severities(client, reporter, alice):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="checkout-api">Checkout API</option>' in html
    for severity in ("SEV1", "SEV2", "SEV3", "SEV4"):
        assert f'<option value="{severity}"' in html
    assert 'name="title"' in html and 'name="description"' in html


def test_the_incidents_list_and_the_home_page_link_to_it(client, reporter):
    assert f'href="{URL}"' in client.get("/incidents/").content.decode()
    assert f'href="{URL}"' in client.get("/").content.decode()


def test_opening_routes_the_incident_and_enqueues_its_page(
    client, reporter, alice, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "component": "checkout-api",
                "severity": "SEV1",
                "title": "Checkout returns 502",
                "description": "Since 10:02, every order.",
            },
        )

    # Payments owns Checkout API and no policy says otherwise, so its on-call person,
    # Alice, responds and is paged as primary; the reporter is recorded as its creator.
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.title, incident.description, incident.severity, incident.status) == (
        "Checkout returns 502",
        "Since 10:02, every order.",
        "SEV1",
        "triggered",
    )
    assert incident.component.slug == "checkout-api"
    assert incident.created_by == reporter
    assert incident.responder == alice
    assert (incident.responding_team.slug, incident.owning_team.slug) == ("payments", "payments")
    page = Page.objects.get(incident=incident)
    assert (page.user, page.step) == (alice, Page.Step.PRIMARY)
    assert published == [page.pk]
    assert TimelineEntry.objects.filter(incident=incident).exists()

    shown = client.get(response["Location"])
    assert "Incident opened; Alice Martin is paged." in shown.content.decode()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"component": "", "severity": "SEV2", "title": ""},
            {
                "component": "Choose the component that is affected.",
                "title": "Say in a few words what is wrong.",
            },
        ),
        (
            {"component": "no-such-thing", "severity": "SEV9", "title": "x" * 201},
            {
                "component": "No such component; choose one from the list.",
                "severity": "Choose a severity from SEV1 to SEV4.",
                "title": "Keep the title to 200 characters (it has 201).",
            },
        ),
    ],
)
def test_bad_input_is_shown_again_with_a_message_per_field(
    client, reporter, alice, published, data, errors
):
    response = client.post(URL, data)

    assert response.status_code == 400
    form = response.context["form"]
    assert {name: " ".join(messages) for name, messages in form.errors.items()} == errors
    html = response.content.decode()
    for name, message in errors.items():
        assert f'id="id_{name}-error">{message}</span>' in html
    # What was typed stays in the form.
    if data["title"]:
        assert f'value="{data["title"]}"' in html
    assert not Incident.objects.exists()
    assert published == []


def test_anonymous_visitors_are_sent_to_sign_in(client, alice):
    assert client.get(URL).url == f"/accounts/login/?next={URL}"
    response = client.post(URL, {"component": "checkout-api", "severity": "SEV1", "title": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Incident.objects.exists()


def test_a_component_page_opens_the_form_with_its_component_chosen(client, reporter, alice):
    html = client.get("/components/checkout-api/").content.decode()
    assert f'href="{URL}?component=checkout-api"' in html

    form = client.get(URL, {"component": "checkout-api"}).content.decode()

    assert '<option value="checkout-api" selected>Checkout API</option>' in form
