import datetime

import pytest
from django.utils import timezone

from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

from .factories import (
    OverrideFactory,
    RotationFactory,
    ShiftFactory,
    SupportPolicyFactory,
    TeamRotationFactory,
)

pytestmark = pytest.mark.django_db


URL = "/api/v1/oncall/"
UTC = datetime.UTC
MONDAY = datetime.datetime(2030, 1, 7, 9, tzinfo=UTC)
WEEK = datetime.timedelta(days=7)
AT = "2030-01-09T12:00:00Z"


def _weekly(rotation, people, weeks=None, start=MONDAY):
    """Give ``rotation`` weekly shifts from ``start``, dealt round robin to ``people``."""
    weeks = weeks or len(people)
    for n in range(weeks):
        ShiftFactory(rotation=rotation, user=people[n % len(people)], start=start + n * WEEK)


def _owned_component(team_slug="payments"):
    team = TeamFactory(slug=team_slug)
    ComponentFactory(slug="billing", owner_team=team)
    return team


def test_ownership_routes_to_the_owning_teams_on_call(user_client):
    team = _owned_component()
    ana = UserFactory(username="ana", email="ana@example.com")
    bo = UserFactory(username="bo")
    _weekly(RotationFactory(team=team, role="primary"), [ana])
    _weekly(RotationFactory(team=team, role="secondary"), [bo])
    MembershipFactory(team=team, user=UserFactory(username="boss"), role="manager")

    response = user_client.get(URL, {"component": "billing", "at": AT})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["at"] == AT
    assert body["policy"] is None
    assert body["model"] == "ownership"
    assert body["responding_team"] == "payments"
    assert body["owning_team"] == "payments"
    assert body["primary"]["username"] == "ana"
    assert body["primary"]["email"] == "ana@example.com"
    assert body["primary"]["shift_end"] == "2030-01-14T09:00:00Z"
    assert body["secondary"]["username"] == "bo"
    assert body["first_line"] is None
    assert [(s["role"], s["users"]) for s in body["escalation"]] == [
        ("primary", ["ana"]),
        ("secondary", ["bo"]),
        ("manager", ["boss"]),
    ]


def test_dedicated_policy_routes_to_the_support_team(user_client):
    _owned_component()
    support = TeamFactory(slug="sustain")
    policy = SupportPolicyFactory(name="Sustaining", model="dedicated", dedicated_team=support)
    _weekly(RotationFactory(team=support), [UserFactory(username="sam")])

    body = user_client.get(URL, {"component": "billing", "at": AT}).json()

    assert body["policy"] == {"id": policy.pk, "name": "Sustaining", "model": "dedicated"}
    assert body["responding_team"] == "sustain"
    assert body["owning_team"] == "payments"
    assert body["primary"]["username"] == "sam"


def test_rotating_policy_routes_to_the_team_on_shift_and_its_person_rotation(user_client):
    _owned_component()
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    team_rotation = TeamRotationFactory(participants=[alpha, beta])
    ShiftFactory(rotation=team_rotation, team=alpha, user=None, start=MONDAY, end=MONDAY + WEEK)
    ShiftFactory(
        rotation=team_rotation, team=beta, user=None, start=MONDAY + WEEK, end=MONDAY + 2 * WEEK
    )
    follower = RotationFactory(team=None, follows_team_rotation=team_rotation)
    ShiftFactory(rotation=follower, user=UserFactory(username="al"), start=MONDAY)
    ShiftFactory(rotation=follower, user=UserFactory(username="be"), start=MONDAY + WEEK)
    SupportPolicyFactory(model="rotating", team_rotation=team_rotation)

    now = user_client.get(URL, {"component": "billing", "at": AT}).json()
    later = user_client.get(URL, {"component": "billing", "at": "2030-01-15T12:00:00Z"}).json()

    assert (now["responding_team"], now["primary"]["username"]) == ("alpha", "al")
    assert (later["responding_team"], later["primary"]["username"]) == ("beta", "be")


def test_first_line_is_answered_with_the_same_shape(user_client):
    team = _owned_component()
    first_line = RotationFactory(team=TeamFactory(slug="ops"))
    _weekly(first_line, [UserFactory(username="opsy")])
    _weekly(RotationFactory(team=team), [UserFactory(username="ana")])
    SupportPolicyFactory(model="ownership", first_line_rotation=first_line)

    body = user_client.get(URL, {"component": "billing", "at": AT}).json()

    assert body["first_line"]["username"] == "opsy"
    assert body["first_line"]["shift_end"] == "2030-01-14T09:00:00Z"
    assert body["escalation"][0]["role"] == "first_line"
    assert body["primary"]["username"] == "ana"


def test_an_override_changes_oncall_for_its_window_only(user_client):
    team = _owned_component()
    rotation = RotationFactory(team=team)
    _weekly(rotation, [UserFactory(username="ana")])
    OverrideFactory(
        rotation=rotation,
        user=UserFactory(username="cover"),
        start=datetime.datetime(2030, 1, 9, 9, tzinfo=UTC),
        end=datetime.datetime(2030, 1, 9, 17, tzinfo=UTC),
    )

    def primary(at):
        return user_client.get(URL, {"component": "billing", "at": at}).json()["primary"]

    during = primary("2030-01-09T12:00:00Z")
    assert (during["username"], during["covering"]) == ("cover", True)
    assert during["shift_end"] == "2030-01-09T17:00:00Z"
    assert primary("2030-01-09T08:00:00Z")["username"] == "ana"
    after = primary("2030-01-09T18:00:00Z")
    assert (after["username"], after["covering"]) == ("ana", False)


def test_nobody_on_call_is_null(user_client):
    _owned_component()
    body = user_client.get(URL, {"component": "billing", "at": AT}).json()
    assert body["primary"] is None
    assert body["secondary"] is None
    assert body["responding_team"] == "payments"


def test_lookup_by_team(user_client):
    team = TeamFactory(slug="pay")
    _weekly(RotationFactory(team=team), [UserFactory(username="ana")])
    body = user_client.get(URL, {"team": "pay", "at": AT}).json()
    assert body["responding_team"] == "pay"
    assert body["policy"] is None
    assert body["primary"]["username"] == "ana"


def test_lookup_by_rotation(user_client):
    rotation = RotationFactory(role="secondary")
    _weekly(rotation, [UserFactory(username="ana"), UserFactory(username="bo")])
    body = user_client.get(URL, {"rotation": rotation.pk, "at": "2030-01-15T12:00:00Z"}).json()
    assert body["secondary"]["username"] == "bo"
    assert body["primary"] is None


def test_at_accepts_an_unencoded_offset_and_defaults_to_now(user_client):
    team = _owned_component()
    _weekly(RotationFactory(team=team), [UserFactory(username="ana")])
    spaced = user_client.get(f"{URL}?component=billing&at=2030-01-09T13:00:00+01:00").json()
    assert spaced["at"] == "2030-01-09T12:00:00Z"
    assert spaced["primary"]["username"] == "ana"
    now = user_client.get(URL, {"component": "billing"})
    assert now.status_code == 200
    assert now.json()["primary"] is None  # the shifts are years ahead


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "component"),
        ({"component": "nope"}, "component"),
        ({"team": "nope"}, "team"),
        ({"rotation": "999999"}, "rotation"),
        ({"rotation": "abc"}, "rotation"),
        ({"component": "billing", "team": "payments"}, "team"),
        ({"component": "billing", "at": "soon"}, "at"),
        # Outside the times Rota keeps (2000-01-01 to 2100-12-31), as list filters refuse.
        ({"component": "billing", "at": "1999-12-31T23:59:59Z"}, "at"),
        ({"component": "billing", "at": "9999-12-31"}, "at"),
        # A repeated parameter is refused, not answered for its last value.
        ({"component": ["billing", "cart"]}, "component"),
        ({"component": "billing", "at": ["2030-01-01", "2030-01-02"]}, "at"),
    ],
)
def test_bad_query_names_the_parameter(user_client, query, field):
    _owned_component()
    response = user_client.get(URL, query)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_requires_authentication(api_client):
    assert api_client.get(URL, {"component": "billing"}).status_code in (401, 403)


def _busy_organisation(weeks):
    """A rotating policy with a first line, primary and secondary, and ``weeks`` of shifts."""
    _owned_component()
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    MembershipFactory(team=alpha, role="lead")
    MembershipFactory(team=alpha, role="manager")
    team_rotation = TeamRotationFactory(participants=[alpha, beta])
    for n in range(weeks):
        ShiftFactory(
            rotation=team_rotation,
            team=(alpha, beta)[(n - weeks // 2) % 2],
            user=None,
            start=MONDAY + (n - weeks // 2) * WEEK,
        )
    people = [UserFactory() for _ in range(3)]
    primary = RotationFactory(team=alpha, role="primary")
    secondary = RotationFactory(team=alpha, role="secondary")
    first_line = RotationFactory(team=TeamFactory())
    start = MONDAY - (weeks // 2) * WEEK
    for offset, rotation in enumerate((primary, secondary, first_line)):
        # Each rotation a different person each week: one person never holds two steps.
        _weekly(rotation, people[offset:] + people[:offset], weeks=weeks, start=start)
        OverrideFactory(
            rotation=rotation, start=MONDAY + 3 * WEEK, end=MONDAY + 3 * WEEK + WEEK / 2
        )
    SupportPolicyFactory(
        model="rotating", team_rotation=team_rotation, first_line_rotation=first_line
    )


@pytest.mark.parametrize("weeks", [2, 60])
@pytest.mark.parametrize("target", ["component", "team", "rotation"])
def test_query_count_does_not_grow_with_shifts(
    user_client, django_assert_num_queries, weeks, target
):
    _busy_organisation(weeks)
    rotation = RotationFactory._meta.model.objects.get(team__slug="alpha", role="primary")
    query = {"component": "billing", "team": "alpha", "rotation": rotation.pk}[target]
    # First the rota and catalog version tags (the "at" cache's check, a miss here), then
    # component: component, ancestors, policy, team on shift (shifts, overrides), routing
    # settings, person rotations, their shifts and overrides, leads and managers; team: team,
    # routing settings, rotations, shifts, overrides, leads and managers; rotation: rotation,
    # shifts, overrides, leads and managers.
    expected = {"component": 11, "team": 7, "rotation": 5}[target]
    with django_assert_num_queries(expected):
        response = user_client.get(URL, {target: query, "at": AT})
    body = response.json()
    assert body["primary"] is not None
    if target == "component":
        assert body["responding_team"] == "alpha"
        assert body["secondary"] is not None and body["first_line"] is not None


def _on_call_now(team_slug="payments"):
    """Make ana on call now (in a rotation of the component's owner) and bo next."""
    team = _owned_component(team_slug)
    rotation = RotationFactory(team=team)
    now = timezone.now()
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    current = ShiftFactory(rotation=rotation, user=ana, start=now - WEEK, end=now + WEEK)
    ShiftFactory(rotation=rotation, user=bo, start=now + WEEK, end=now + 2 * WEEK)
    return current, bo


def test_now_is_answered_from_the_cache_in_one_query(user_client, django_assert_num_queries):
    _on_call_now()
    first = user_client.get(URL, {"component": "billing"}).json()
    with django_assert_num_queries(1):  # the rota and catalog version tags
        again = user_client.get(URL, {"component": "billing"}).json()
    assert first["primary"]["username"] == again["primary"]["username"] == "ana"


def test_an_edit_through_the_api_is_seen_at_once(user_client, staff_client):
    current, bo = _on_call_now()
    assert user_client.get(URL, {"component": "billing"}).json()["primary"]["username"] == "ana"
    response = staff_client.patch(f"/api/v1/shifts/{current.pk}/", {"user": "bo"})
    assert response.status_code == 200, response.content
    assert user_client.get(URL, {"component": "billing"}).json()["primary"]["username"] == "bo"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"component": "nope"}, "component"),
        ({"team": "nope"}, "team"),
        ({"rotation": 99}, "rotation"),
    ],
)
def test_unknown_targets_are_a_400_now_too(user_client, query, field):
    response = user_client.get(URL, query)
    assert response.status_code == 400
    assert field in response.json()


def test_an_instant_without_an_offset_is_refused_naming_at(user_client):
    _owned_component()
    response = user_client.get(URL, {"component": "billing", "at": "2030-01-08T10:00:00"})
    assert response.status_code == 400
    assert "offset" in str(response.json()["at"])


def test_the_first_and_last_instants_kept_are_answered(user_client):
    _owned_component()
    for at in ("2000-01-01T00:00:00Z", "2100-12-31T23:59:59Z"):
        assert user_client.get(URL, {"component": "billing", "at": at}).status_code == 200
    body = user_client.get(URL, {"component": "billing", "at": "1999-12-31T23:59:59Z"}).json()
    assert body == {"at": ["Give a date between 2000-01-01 and 2100-12-31 (UTC)."]}
