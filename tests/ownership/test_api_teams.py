import pytest

from ownership.models import Membership, Team

from .factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_list_requires_authentication(api_client):
    assert api_client.get("/api/v1/teams/").status_code in (401, 403)


def test_list_shows_members_with_roles(user_client):
    team = TeamFactory(slug="payments", name="Payments", timezone="Europe/Berlin")
    MembershipFactory(team=team, user=UserFactory(username="ana"), role="manager")
    MembershipFactory(team=team, user=UserFactory(username="bo"), role="engineer")

    response = user_client.get("/api/v1/teams/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["slug"] == "payments"
    assert row["timezone"] == "Europe/Berlin"
    assert row["members"] == [
        {"username": "ana", "role": "manager"},
        {"username": "bo", "role": "engineer"},
    ]


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    for _ in range(rows):
        MembershipFactory(team=TeamFactory())
    # count, page, memberships with users, the caller's managed teams
    with django_assert_num_queries(4):
        response = user_client.get("/api/v1/teams/?page_size=100")
    assert len(response.json()["results"]) == rows


def test_staff_creates_a_team_with_members(staff_client):
    UserFactory(username="cara")
    response = staff_client.post(
        "/api/v1/teams/",
        {
            "slug": "search",
            "name": "Search",
            "timezone": "America/New_York",
            "members": [{"username": "cara", "role": "lead"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    team = Team.objects.get(slug="search")
    assert team.timezone == "America/New_York"
    assert Membership.objects.get(team=team).role == "lead"


def test_non_staff_cannot_create_a_team(user_client):
    response = user_client.post("/api/v1/teams/", {"slug": "x", "name": "X"}, format="json")
    assert response.status_code == 403
    assert not Team.objects.filter(slug="x").exists()


def test_manager_edits_their_team_but_not_another(make_client, manager_of):
    mine, theirs = TeamFactory(), TeamFactory()
    client = make_client(manager_of(mine))

    ok = client.patch(f"/api/v1/teams/{mine.slug}/", {"name": "Renamed"}, format="json")
    refused = client.patch(f"/api/v1/teams/{theirs.slug}/", {"name": "Nope"}, format="json")

    assert ok.status_code == 200
    assert refused.status_code == 403
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.name == "Renamed"
    assert theirs.name != "Nope"


def test_engineer_of_a_team_cannot_edit_it(make_client):
    membership = MembershipFactory(role="engineer")
    client = make_client(membership.user)
    response = client.patch(
        f"/api/v1/teams/{membership.team.slug}/", {"name": "Mine now"}, format="json"
    )
    assert response.status_code == 403


def test_members_replace_the_membership_list(make_client, manager_of):
    team = TeamFactory()
    manager = manager_of(team)
    MembershipFactory(team=team, user=UserFactory(username="leaving"))
    UserFactory(username="joining")
    client = make_client(manager)

    response = client.patch(
        f"/api/v1/teams/{team.slug}/",
        {
            "members": [
                {"username": manager.username, "role": "manager"},
                {"username": "joining"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert sorted(team.memberships.values_list("user__username", "role")) == sorted(
        [(manager.username, "manager"), ("joining", "engineer")]
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "bad slug!", "name": "A"}, "slug"),
        ({"slug": "a", "name": ""}, "name"),
        ({"slug": "a", "name": "A", "timezone": "Mars/Olympus"}, "timezone"),
        ({"slug": "a", "name": "A", "email": "not-an-email"}, "email"),
        ({"slug": "a", "name": "A", "chat_webhook_url": "ftp:/x"}, "chat_webhook_url"),
        ({"slug": "a", "name": "A", "members": [{"username": "ghost"}]}, "members"),
        ({"slug": "a", "name": "A", "members": [{"username": "u1", "role": "boss"}]}, "members"),
        ({"slug": "a", "name": "A", "members": "u1"}, "members"),
        ({"slug": "a", "name": "A", "kind": "sales"}, "kind"),
    ],
)
def test_bad_input_is_refused_naming_the_field(staff_client, body, field):
    UserFactory(username="u1")
    response = staff_client.post("/api/v1/teams/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Team.objects.filter(slug="a").exists()


def test_duplicate_member_is_refused(staff_client):
    UserFactory(username="u1")
    response = staff_client.post(
        "/api/v1/teams/",
        {"slug": "a", "name": "A", "members": [{"username": "u1"}, {"username": "u1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "members" in response.json()


def test_duplicate_slug_is_refused(staff_client):
    TeamFactory(slug="taken")
    response = staff_client.post("/api/v1/teams/", {"slug": "taken", "name": "New"}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()


def test_webhook_url_is_shown_to_managers_only(make_client, manager_of):
    team = TeamFactory(chat_webhook_url="https://chat.example.com/hooks/secret")
    engineer = MembershipFactory(team=team).user

    as_manager = make_client(manager_of(team)).get(f"/api/v1/teams/{team.slug}/").json()
    as_engineer = make_client(engineer).get(f"/api/v1/teams/{team.slug}/").json()

    assert as_manager["chat_webhook_url"] == "https://chat.example.com/hooks/secret"
    assert "chat_webhook_url" not in as_engineer


def test_team_components_include_inherited(user_client):
    team = TeamFactory()
    area = ComponentFactory(slug="area", kind="area", owner_team=team)
    ComponentFactory(slug="child", parent=area, owner_team=None)
    ComponentFactory(slug="elsewhere")

    response = user_client.get(f"/api/v1/teams/{team.slug}/components/")

    assert response.status_code == 200
    assert [c["slug"] for c in response.json()["results"]] == ["area", "child"]


def test_deleting_a_team_that_owns_components_is_refused(staff_client):
    team = TeamFactory()
    ComponentFactory(owner_team=team)
    response = staff_client.delete(f"/api/v1/teams/{team.slug}/")
    assert response.status_code == 400
    assert Team.objects.filter(pk=team.pk).exists()


def test_team_kind_defaults_to_product_and_a_manager_can_change_it(make_client, manager_of):
    team = TeamFactory()
    client = make_client(manager_of(team))
    assert client.get(f"/api/v1/teams/{team.slug}/").json()["kind"] == "product"

    response = client.patch(f"/api/v1/teams/{team.slug}/", {"kind": "support"}, format="json")

    assert response.status_code == 200, response.content
    team.refresh_from_db()
    assert team.kind == Team.Kind.SUPPORT


def test_an_engineer_cannot_change_the_team_kind(make_client):
    membership = MembershipFactory(role="engineer")
    client = make_client(membership.user)
    response = client.patch(
        f"/api/v1/teams/{membership.team.slug}/", {"kind": "operations"}, format="json"
    )
    assert response.status_code == 403
    membership.team.refresh_from_db()
    assert membership.team.kind == Team.Kind.PRODUCT
