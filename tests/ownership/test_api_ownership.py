import pytest

from .factories import ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    payments = TeamFactory(slug="payments")
    platform = TeamFactory(slug="platform")
    billing = ComponentFactory(
        slug="billing", kind="area", owner_team=payments, paths=["/billing/"]
    )
    ComponentFactory(slug="billing-api", parent=billing, owner_team=None, paths=["/billing/api/"])
    ComponentFactory(slug="schemas", owner_team=platform, paths=["*.proto"])


def test_path_lookup_returns_the_most_specific_component(user_client, catalog):
    response = user_client.get("/api/v1/ownership/?path=billing/api/invoices.py")
    assert response.status_code == 200
    body = response.json()
    assert body["component"]["slug"] == "billing-api"
    assert body["matched_pattern"] == "/billing/api/"
    assert body["effective_owner_team"] == "payments"


def test_path_lookup_falls_back_to_floating_globs(user_client, catalog):
    body = user_client.get("/api/v1/ownership/?path=api/events/order.proto").json()
    assert body["component"]["slug"] == "schemas"
    assert body["effective_owner_team"] == "platform"


def test_unowned_path_is_404_with_a_message(user_client, catalog):
    response = user_client.get("/api/v1/ownership/?path=frontend/app.js")
    assert response.status_code == 404
    assert "frontend/app.js" in response.json()["detail"]


def test_missing_path_is_400_naming_it(user_client):
    response = user_client.get("/api/v1/ownership/")
    assert response.status_code == 400
    assert "path" in response.json()


@pytest.mark.parametrize("path", ["\n", "\r\n", "/", "./", "\\"])
def test_a_path_that_is_only_line_breaks_or_slashes_is_400_naming_it(user_client, path):
    # What is matched drops line breaks around the path, "./" and leading slashes: nothing
    # is left to look up, so this is a missing path, not an unowned one (404).
    response = user_client.get("/api/v1/ownership/", {"path": path})
    assert response.status_code == 400
    assert response.json() == {"path": ["Give a file path, e.g. billing/api/invoices.py."]}


def test_path_lookup_with_at_answers_the_owner_then(user_client, catalog):
    response = user_client.get("/api/v1/ownership/?path=billing/x&at=2000-01-01")
    assert response.status_code == 200
    assert response.json()["owner_team_at"] is None  # the catalog did not exist yet


@pytest.mark.parametrize("extra", [0, 30])
def test_path_lookup_query_count_is_constant(
    user_client, catalog, django_assert_num_queries, extra
):
    for n in range(extra):
        ComponentFactory(paths=[f"/extra{n}/"])
    # After a catalog change: version, globs, component with owners, its paths.
    with django_assert_num_queries(4):
        first = user_client.get("/api/v1/ownership/?path=billing/api/x")
    # Then only the version is read.
    with django_assert_num_queries(1):
        again = user_client.get("/api/v1/ownership/?path=billing/api/x")
    assert first.json() == again.json()


def test_cached_lookup_follows_an_owner_change(user_client, catalog):
    from ownership import services
    from ownership.models import Component, Team

    assert user_client.get("/api/v1/ownership/?path=billing/x").json()["effective_owner_team"] == (
        "payments"
    )
    billing = Component.objects.get(slug="billing")
    services.component_update(component=billing, owner_team=Team.objects.get(slug="platform"))
    body = user_client.get("/api/v1/ownership/?path=billing/x").json()
    assert body["effective_owner_team"] == "platform"


def test_lookup_requires_authentication(api_client, catalog):
    assert api_client.get("/api/v1/ownership/?path=billing/x").status_code in (401, 403)
