"""/api/v1/integrations/: managers and staff only; the secret URL is shown once."""

import pytest

from incidents.models import Integration
from incidents.security import hash_token
from tests.ownership.factories import ComponentFactory, TeamFactory

from .factories import IntegrationFactory
from .helpers import alertmanager_payload, post_alert

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/"


@pytest.fixture
def team():
    return TeamFactory(slug="payments")


@pytest.fixture
def checkout(team):
    return ComponentFactory(slug="checkout", owner_team=team)


def test_engineers_may_not_see_or_create_integrations(user_client, checkout):
    IntegrationFactory(component=checkout)

    assert user_client.get(URL).status_code == 403
    assert user_client.post(URL, {"name": "x", "component": "checkout"}).status_code == 403


def test_a_manager_creates_one_for_their_component_and_sees_the_url_once(
    make_client, manager_of, team, checkout, api_client
):
    client = make_client(manager_of(team))

    created = client.post(
        URL,
        {
            "name": "Prometheus",
            "kind": "alertmanager",
            "component": "checkout",
            "signing_secret": "k3y",
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"].startswith("http://localhost:8000/api/v1/integrations/")
    assert body["url"].endswith("/alerts/")
    assert "signing_secret" not in body
    assert body["has_signing_secret"] is True
    integration = Integration.objects.get()
    token = body["url"].rstrip("/").split("/")[-2]
    assert len(token) >= 43  # 256 random bits, URL-safe
    assert integration.token_hash == hash_token(token)
    assert token not in str(Integration.objects.values().get())
    listed = client.get(f"{URL}{integration.pk}/").json()
    assert listed["url"] is None
    assert (listed["component"], listed["kind"]) == ("checkout", "alertmanager")


def test_a_manager_may_not_attach_an_integration_to_another_teams_component(
    make_client, manager_of, team
):
    ComponentFactory(slug="search", owner_team=TeamFactory())
    client = make_client(manager_of(team))

    assert client.post(URL, {"name": "x", "component": "search"}).status_code == 403
    assert client.post(URL, {"name": "x", "component": None}, format="json").status_code == 403
    assert not Integration.objects.exists()


def test_managers_see_only_their_teams_integrations(make_client, manager_of, team, checkout):
    mine = IntegrationFactory(component=checkout)
    theirs = IntegrationFactory()
    client = make_client(manager_of(team))

    rows = client.get(URL).json()["results"]

    assert [row["id"] for row in rows] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.patch(f"{URL}{theirs.pk}/", {"active": False}).status_code == 404


def test_staff_see_and_change_every_integration(staff_client):
    integration = IntegrationFactory(component=None)

    response = staff_client.patch(
        f"{URL}{integration.pk}/", {"rate_limit_per_minute": 10, "signing_secret": "new"}
    )

    assert response.status_code == 200
    integration.refresh_from_db()
    assert (integration.rate_limit_per_minute, integration.signing_secret) == (10, "new")


def test_regenerate_issues_a_new_url_and_the_old_one_stops_at_once(
    make_client, manager_of, team, checkout, api_client
):
    integration = IntegrationFactory(component=checkout)
    client = make_client(manager_of(team))
    old_token = integration.token

    response = client.post(f"{URL}{integration.pk}/regenerate/")

    assert response.status_code == 200
    new_url = response.json()["url"]
    assert old_token not in new_url
    assert post_alert(api_client, integration, alertmanager_payload()).status_code == 404
    integration.token = new_url.rstrip("/").split("/")[-2]
    assert post_alert(api_client, integration, alertmanager_payload()).status_code == 200


def test_engineers_may_not_regenerate(user_client, checkout):
    integration = IntegrationFactory(component=checkout)
    before = Integration.objects.get().token_hash

    assert user_client.post(f"{URL}{integration.pk}/regenerate/").status_code == 403
    assert Integration.objects.get().token_hash == before


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(staff_client, django_assert_num_queries, rows):
    for _ in range(rows):
        IntegrationFactory()
    # count and page, and one for whether the caller is a rota admin (staff alone is not)
    with django_assert_num_queries(3):
        response = staff_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_bad_choices_are_refused_by_name(staff_client):
    response = staff_client.post(URL, {"name": "x", "kind": "nagios", "default_severity": "P0"})

    assert response.status_code == 400
    assert set(response.json()) == {"kind", "default_severity"}
