import pytest

from rota.models import SupportPolicy
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

from .factories import RotationFactory, SupportPolicyFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/support-policies/"


def test_policy_fields_follow_the_interface(user_client):
    rotation = TeamRotationFactory()
    first_line = RotationFactory()
    policy = SupportPolicyFactory(
        name="Checkout rotates",
        model="rotating",
        team_rotation=rotation,
        first_line_rotation=first_line,
        components=[ComponentFactory(slug="checkout"), ComponentFactory(slug="cart")],
    )
    body = user_client.get(f"{URL}{policy.pk}/").json()
    assert body["id"] == policy.pk
    assert body["name"] == "Checkout rotates"
    assert body["model"] == "rotating"
    assert sorted(body["components"]) == ["cart", "checkout"]
    assert body["team_rotation"] == rotation.pk
    assert body["dedicated_team"] is None
    assert body["first_line_rotation"] == first_line.pk


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    team = TeamFactory()
    for _ in range(rows):
        SupportPolicyFactory(
            model="dedicated", dedicated_team=team, components=[ComponentFactory()]
        )
    with django_assert_num_queries(3):  # count, page with rotations and team, components
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_list_filters_by_component(user_client):
    policy = SupportPolicyFactory(components=[ComponentFactory(slug="search")])
    SupportPolicyFactory(components=[ComponentFactory()])
    rows = user_client.get(URL, {"component": "search"}).json()["results"]
    assert [row["id"] for row in rows] == [policy.pk]


def test_staff_creates_a_dedicated_policy(staff_client):
    TeamFactory(slug="sustain")
    ComponentFactory(slug="billing")
    response = staff_client.post(
        URL,
        {
            "name": "Billing by the sustaining team",
            "model": "dedicated",
            "dedicated_team": "sustain",
            "components": ["billing"],
        },
    )
    assert response.status_code == 201, response.content
    policy = SupportPolicy.objects.get()
    assert policy.dedicated_team.slug == "sustain"
    assert [c.slug for c in policy.components.all()] == ["billing"]


def test_components_replace_the_list(staff_client):
    policy = SupportPolicyFactory(components=[ComponentFactory(slug="old")])
    ComponentFactory(slug="new")
    response = staff_client.patch(f"{URL}{policy.pk}/", {"components": ["new"]})
    assert response.status_code == 200, response.content
    assert response.json()["components"] == ["new"]


def test_managers_and_engineers_cannot_change_policies(make_client, manager_of):
    policy = SupportPolicyFactory()
    for person in (manager_of(TeamFactory()), UserFactory()):
        client = make_client(person)
        assert client.post(URL, {"name": "Mine", "model": "ownership"}).status_code == 403
        assert client.patch(f"{URL}{policy.pk}/", {"name": "Mine"}).status_code == 403
        assert client.delete(f"{URL}{policy.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "rotating"}, "team_rotation"),
        ({"model": "dedicated"}, "dedicated_team"),
        ({"model": "outsourced"}, "model"),
        ({"components": ["no-such-component"]}, "components"),
        ({"dedicated_team": "no-such-team"}, "dedicated_team"),
        ({"first_line_rotation": "team-rotation"}, "first_line_rotation"),
        ({"model": "rotating", "team_rotation": "person-rotation"}, "team_rotation"),
    ],
)
def test_bad_input_names_the_field(staff_client, body, field):
    ids = {"team-rotation": TeamRotationFactory().pk, "person-rotation": RotationFactory().pk}
    body = {
        key: ids.get(value, value) if isinstance(value, str) else value
        for key, value in body.items()
    }
    ComponentFactory(slug="mine")
    response = staff_client.post(
        URL, {"name": "P", "model": "ownership", "components": ["mine"], **body}
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not SupportPolicy.objects.exists()


def test_a_component_belongs_to_one_policy(staff_client):
    component = ComponentFactory(slug="taken")
    SupportPolicyFactory(components=[component])
    response = staff_client.post(URL, {"name": "Second", "components": ["taken"]})
    assert response.status_code == 400
    assert "components" in response.json()


def test_only_one_default_policy(staff_client):
    SupportPolicyFactory(name="Default")
    response = staff_client.post(URL, {"name": "Another default", "components": []})
    assert response.status_code == 400
    assert "components" in response.json()
