from datetime import timedelta

import pytest
from django.utils import timezone

from ownership import services
from ownership.models import Component, OwnershipPeriod

from .factories import ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_component_fields_follow_the_interface(user_client):
    team = TeamFactory(slug="payments")
    area = ComponentFactory(slug="billing", kind="area", owner_team=team)
    ComponentFactory(
        slug="billing-api",
        name="Billing API",
        parent=area,
        owner_team=None,
        tier=1,
        paths=["/billing/api/", "*.invoice"],
        runbook_url="https://runbooks.example.com/billing-api",
    )

    body = user_client.get("/api/v1/components/billing-api/").json()

    assert body["slug"] == "billing-api"
    assert body["parent"] == "billing"
    assert body["owner_team"] is None
    assert body["effective_owner_team"] == "payments"
    assert body["tier"] == 1
    assert sorted(body["paths"]) == ["*.invoice", "/billing/api/"]
    assert body["runbook_url"] == "https://runbooks.example.com/billing-api"


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    area = ComponentFactory(kind="area", paths=["/area/"])
    for n in range(rows - 1):
        ComponentFactory(parent=area, paths=[f"/area/c{n}/"])
    with django_assert_num_queries(3):  # count, page with owners and parent, paths
        response = user_client.get("/api/v1/components/?page_size=100")
    assert response.json()["count"] == rows


def test_list_filters_by_effective_owner_and_parent(user_client):
    team = TeamFactory(slug="search")
    area = ComponentFactory(slug="search-area", kind="area", owner_team=team)
    ComponentFactory(slug="indexer", parent=area, owner_team=None)
    ComponentFactory(slug="unrelated")

    by_team = user_client.get("/api/v1/components/?team=search").json()
    by_parent = user_client.get("/api/v1/components/?parent=search-area").json()
    roots = user_client.get("/api/v1/components/?root=true").json()

    assert sorted(c["slug"] for c in by_team["results"]) == ["indexer", "search-area"]
    assert [c["slug"] for c in by_parent["results"]] == ["indexer"]
    assert sorted(c["slug"] for c in roots["results"]) == ["search-area", "unrelated"]


def test_staff_creates_a_component_and_its_history_starts(staff_client):
    TeamFactory(slug="payments")
    response = staff_client.post(
        "/api/v1/components/",
        {"slug": "ledger", "name": "Ledger", "owner_team": "payments", "paths": ["/ledger/"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["effective_owner_team"] == "payments"
    component = Component.objects.get(slug="ledger")
    assert list(component.paths.values_list("pattern", flat=True)) == ["/ledger/"]
    assert OwnershipPeriod.objects.get(component=component).team.slug == "payments"


def test_manager_creates_for_their_team_only(make_client, manager_of):
    mine = TeamFactory(slug="mine")
    TeamFactory(slug="theirs")
    client = make_client(manager_of(mine))

    ok = client.post(
        "/api/v1/components/", {"slug": "a", "name": "A", "owner_team": "mine"}, format="json"
    )
    refused = client.post(
        "/api/v1/components/", {"slug": "b", "name": "B", "owner_team": "theirs"}, format="json"
    )

    assert ok.status_code == 201
    assert refused.status_code == 403
    assert not Component.objects.filter(slug="b").exists()


def test_engineer_cannot_create_components(user_client):
    TeamFactory(slug="t")
    response = user_client.post(
        "/api/v1/components/", {"slug": "a", "name": "A", "owner_team": "t"}, format="json"
    )
    assert response.status_code == 403


def test_manager_edits_components_their_team_owns_including_inherited(make_client, manager_of):
    mine, theirs = TeamFactory(), TeamFactory()
    area = ComponentFactory(kind="area", owner_team=mine)
    inherited = ComponentFactory(parent=area, owner_team=None)
    foreign = ComponentFactory(owner_team=theirs)
    client = make_client(manager_of(mine))

    ok = client.patch(
        f"/api/v1/components/{inherited.slug}/", {"description": "Ours"}, format="json"
    )
    refused = client.patch(
        f"/api/v1/components/{foreign.slug}/", {"description": "Ours?"}, format="json"
    )

    assert ok.status_code == 200
    assert refused.status_code == 403
    foreign.refresh_from_db()
    assert foreign.description == ""


def test_manager_cannot_give_a_component_to_another_team(make_client, manager_of):
    mine = TeamFactory()
    TeamFactory(slug="theirs")
    component = ComponentFactory(owner_team=mine)
    client = make_client(manager_of(mine))

    response = client.patch(
        f"/api/v1/components/{component.slug}/", {"owner_team": "theirs"}, format="json"
    )

    assert response.status_code == 403
    component.refresh_from_db()
    assert component.owner_team == mine


def test_staff_reassigns_ownership_and_history_keeps_the_old_owner(staff_client):
    old, new = TeamFactory(slug="old"), TeamFactory(slug="new")
    component = ComponentFactory(owner_team=old, at=timezone.now() - timedelta(days=60))

    response = staff_client.patch(
        f"/api/v1/components/{component.slug}/", {"owner_team": "new"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["effective_owner_team"] == "new"

    history = staff_client.get(f"/api/v1/components/{component.slug}/history/").json()
    assert [p["team"] for p in history["results"]] == ["new", "old"]
    assert history["results"][0]["changed_by"] is not None

    month_ago = (timezone.now() - timedelta(days=30)).date().isoformat()
    owner = staff_client.get(f"/api/v1/components/{component.slug}/owner/?at={month_ago}")
    assert owner.status_code == 200
    assert owner.json()["team"] == "old"
    assert new.pk  # the new team exists and now owns it


def test_owner_at_before_any_record_is_404(user_client):
    component = ComponentFactory()
    response = user_client.get(f"/api/v1/components/{component.slug}/owner/?at=2001-01-01")
    assert response.status_code == 404


def test_owner_at_with_bad_instant_is_400(user_client):
    component = ComponentFactory()
    response = user_client.get(f"/api/v1/components/{component.slug}/owner/?at=yesterday")
    assert response.status_code == 400
    assert "at" in response.json()


def test_cycle_is_refused_with_400_on_parent(staff_client):
    area = ComponentFactory(slug="area", kind="area")
    ComponentFactory(slug="child", parent=area)
    response = staff_client.patch("/api/v1/components/area/", {"parent": "child"}, format="json")
    assert response.status_code == 400
    assert "cycle" in response.json()["parent"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "x", "name": "X", "owner_team": "ghost"}, "owner_team"),
        ({"slug": "x", "name": "X", "parent": "ghost"}, "parent"),
        ({"slug": "x", "name": "X", "tier": 9}, "tier"),
        ({"slug": "x", "name": "X", "kind": "planet"}, "kind"),
        ({"slug": "x", "name": "X", "paths": ["!neg"]}, "paths"),
        ({"slug": "x", "name": "X", "paths": "/not-a-list/"}, "paths"),
        ({"slug": "x", "name": "X", "runbook_url": "nope"}, "runbook_url"),
        ({"slug": "no spaces", "name": "X"}, "slug"),
        ({"slug": "x"}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(staff_client, body, field):
    response = staff_client.post("/api/v1/components/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Component.objects.filter(slug="x").exists()


def test_a_path_taken_by_another_component_is_refused(staff_client):
    ComponentFactory(slug="billing-api", name="Billing API", paths=["/shared/"])
    response = staff_client.post(
        "/api/v1/components/",
        {"slug": "x", "name": "X", "paths": ["/mine/", "/shared/"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"paths": ["/shared/ is already owned by billing-api (Billing API)."]}
    assert not Component.objects.filter(slug="x").exists()


def test_deleting_an_area_with_children_is_refused(staff_client):
    area = ComponentFactory(slug="area", kind="area")
    ComponentFactory(parent=area)
    response = staff_client.delete("/api/v1/components/area/")
    assert response.status_code == 400
    assert Component.objects.filter(slug="area").exists()


def test_manager_deletes_their_component_but_not_others(make_client, manager_of):
    mine, theirs = TeamFactory(), TeamFactory()
    own = ComponentFactory(owner_team=mine)
    foreign = ComponentFactory(owner_team=theirs)
    client = make_client(manager_of(mine))
    assert client.delete(f"/api/v1/components/{foreign.slug}/").status_code == 403
    assert client.delete(f"/api/v1/components/{own.slug}/").status_code == 204
    assert not Component.objects.filter(pk=own.pk).exists()
    assert Component.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_team_components_query_count_does_not_grow(user_client, django_assert_num_queries, rows):
    team = TeamFactory(slug="owners")
    area = ComponentFactory(kind="area", owner_team=team, paths=["/a/"])
    for n in range(rows - 1):
        ComponentFactory(parent=area, owner_team=None, paths=[f"/a/{n}/"])
    # team and its members, count, page with owners and parent, paths
    with django_assert_num_queries(5):
        response = user_client.get("/api/v1/teams/owners/components/?page_size=100")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("changes", [1, 30])
def test_history_query_count_does_not_grow(user_client, django_assert_num_queries, changes):
    teams = [TeamFactory(), TeamFactory()]
    component = ComponentFactory(owner_team=teams[0], at=timezone.now() - timedelta(days=90))
    for n in range(changes):
        services.component_update(
            component=component,
            owner_team=teams[(n + 1) % 2],
            at=timezone.now() - timedelta(days=89 - n),
        )
    # component and its paths, count, page with teams and authors
    with django_assert_num_queries(4):
        response = user_client.get(f"/api/v1/components/{component.slug}/history/")
    assert response.json()["count"] == changes + 1


def test_deleting_a_component_with_incidents_is_a_409_naming_them(staff_client):
    from incidents.models import Incident
    from tests.incidents.factories import IncidentFactory

    component = ComponentFactory(slug="checkout", name="Checkout")
    IncidentFactory(component=component, title="Checkout returns 502")
    IncidentFactory(component=component, title="Card payments time out")

    response = staff_client.delete("/api/v1/components/checkout/")

    # Incidents keep their component (history stays attributed): the delete is refused,
    # naming the incidents by title rather than by id.
    assert response.status_code == 409
    assert response.json() == {
        "detail": 'Still in use by: incident "Card payments time out", incident "Checkout '
        'returns 502"; change or delete those first.'
    }
    assert Component.objects.filter(slug="checkout").exists()
    assert Incident.objects.count() == 2
