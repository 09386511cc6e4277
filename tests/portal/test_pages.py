import pytest

from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def catalog():
    team = TeamFactory(slug="payments", name="Payments")
    MembershipFactory(team=team)
    area = ComponentFactory(slug="billing", name="Billing", kind="area", owner_team=team)
    ComponentFactory(
        slug="billing-api", name="Billing API", parent=area, owner_team=None, paths=["/billing/"]
    )
    return team


@pytest.mark.parametrize("url", ["/", "/components/", "/teams/payments/", "/components/billing/"])
def test_pages_need_a_login(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_looks_up_a_code_path(signed_in, catalog):
    response = signed_in.get("/", {"q": "billing/invoices.py"})
    assert response.status_code == 200
    assert "Billing API" in response.content.decode()
    assert "/billing/" in response.content.decode()


def test_component_page_shows_inherited_owner_and_history(signed_in, catalog):
    html = signed_in.get("/components/billing-api/").content.decode()
    assert "Payments" in html
    assert "(inherited)" in html
    assert "Ownership history" in html


def test_unknown_component_is_404(signed_in):
    assert signed_in.get("/components/ghost/").status_code == 404


@pytest.mark.parametrize("url", ["/", "/components/", "/teams/payments/", "/components/billing/"])
def test_page_query_counts_are_pinned(signed_in, catalog, django_assert_max_num_queries, url):
    with django_assert_max_num_queries(10):
        assert signed_in.get(url).status_code == 200


def test_login_page_shows_errors_next_to_the_form(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_health_check_needs_no_login(client):
    assert client.get("/healthz").content == b"ok"
