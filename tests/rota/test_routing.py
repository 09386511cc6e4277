import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rota import services
from rota.models import Rotation, Shift, SupportPolicy
from rota.routing import responders, responders_for_rotation, responders_for_team
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, SupportPolicyFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(day, hour=12):
    return datetime.datetime(2024, 1, day, hour, tzinfo=UTC)


def on_call(team, username, *, role=Rotation.Role.PRIMARY):
    """Give ``team`` a person rotation with ``username`` on duty for four weeks."""
    user = UserFactory(username=username)
    rotation = RotationFactory(team=team, role=role, timezone="UTC")
    ShiftFactory(rotation=rotation, user=user, start=at(1, 9), end=at(29, 9))
    return rotation, user


def test_total_ownership_routes_to_the_owning_teams_on_call_people():
    payments = TeamFactory(slug="payments")
    ComponentFactory(slug="billing-api", owner_team=payments)
    _, alice = on_call(payments, "alice")
    _, bob = on_call(payments, "bob", role=Rotation.Role.SECONDARY)
    MembershipFactory(team=payments, role="lead", user=UserFactory(username="carol"))
    MembershipFactory(team=payments, role="manager", user=UserFactory(username="dan"))
    on_call(TeamFactory(), "someone-else")

    found = responders(component="billing-api", at=at(3))

    assert (found.policy, found.model) == (None, "ownership")
    assert (found.responding_team, found.owning_team) == (payments, payments)
    assert (found.primary.user, found.primary.shift_end) == (alice, at(29, 9))
    assert found.secondary.user == bob
    assert found.first_line is None
    assert [(step.role, [u.username for u in step.users]) for step in found.escalation] == [
        ("primary", ["alice"]),
        ("secondary", ["bob"]),
        # Escalation pages the leads, or the managers of a team without a lead: not both.
        ("lead", ["carol"]),
    ]


def test_a_component_follows_the_policy_of_its_nearest_named_ancestor_else_the_default():
    payments, sre, web = TeamFactory(slug="payments"), TeamFactory(slug="sre"), TeamFactory()
    area = ComponentFactory(slug="billing", kind="area", owner_team=payments)
    inner = ComponentFactory(slug="billing-api", parent=area, owner_team=None)
    leaf = ComponentFactory(slug="billing-api-worker", parent=inner, owner_team=None)
    website = ComponentFactory(slug="website", owner_team=web)
    SupportPolicyFactory(
        name="Billing by SRE",
        model=SupportPolicy.Model.DEDICATED,
        dedicated_team=sre,
        components=[area],
    )
    default = SupportPolicyFactory(name="Everything else")
    _, sam = on_call(sre, "sam")
    _, wendy = on_call(web, "wendy")

    billing = responders(component=leaf, at=at(3))
    site = responders(component=website, at=at(3))

    assert (billing.model, billing.policy.name) == ("dedicated", "Billing by SRE")
    assert (billing.responding_team, billing.owning_team, billing.primary.user) == (
        sre,
        payments,
        sam,
    )
    assert (site.policy, site.model, site.responding_team, site.primary.user) == (
        default,
        "ownership",
        web,
        wendy,
    )


def test_a_closer_policy_wins_over_one_naming_a_further_ancestor():
    sre, ops = TeamFactory(), TeamFactory()
    area = ComponentFactory(kind="area")
    child = ComponentFactory(parent=area, owner_team=None)
    SupportPolicyFactory(model="dedicated", dedicated_team=sre, components=[area])
    SupportPolicyFactory(model="dedicated", dedicated_team=ops, components=[child])

    assert responders(component=child, at=at(3)).responding_team == ops
    assert responders(component=area, at=at(3)).responding_team == sre


def test_rotating_support_routes_to_the_team_on_shift_and_its_on_call_person():
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    teams = TeamRotationFactory(participants=[alpha, beta], timezone="UTC")
    ShiftFactory(rotation=teams, user=None, team=alpha, start=at(1, 9), end=at(15, 9))
    ShiftFactory(rotation=teams, user=None, team=beta, start=at(15, 9), end=at(29, 9))
    _, anna = on_call(alpha, "anna")
    _, bert = on_call(beta, "bert")
    owner = TeamFactory(slug="owner")
    component = ComponentFactory(owner_team=owner)
    SupportPolicyFactory(model="rotating", team_rotation=teams)

    first, second = (
        responders(component=component, at=at(3)),
        responders(component=component, at=at(20)),
    )

    assert (first.model, first.responding_team, first.owning_team, first.primary.user) == (
        "rotating",
        alpha,
        owner,
        anna,
    )
    assert (second.responding_team, second.primary.user) == (beta, bert)


def test_rotating_support_with_a_person_rotation_that_follows_the_team_rotation():
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    for team, names in ((alpha, ("a1", "a2")), (beta, ("b1", "b2"))):
        for name in names:
            MembershipFactory(team=team, user=UserFactory(username=name))
    teams = TeamRotationFactory(
        participants=[alpha, beta], shift_length_unit="weeks", shift_length_count=2, timezone="UTC"
    )
    follower = RotationFactory(team=None, follows_team_rotation=teams, timezone="UTC")
    services.rotation_generate(
        rotation=follower,
        until=datetime.date(2024, 2, 1),
        now=datetime.datetime(2023, 12, 1, tzinfo=UTC),
    )
    component = ComponentFactory()
    SupportPolicyFactory(model="rotating", team_rotation=teams)

    week_two, week_three = (
        responders(component=component, at=at(10)),
        responders(component=component, at=at(17)),
    )

    assert (week_two.responding_team, week_two.primary.username) == (alpha, "a2")
    assert (week_three.responding_team, week_three.primary.username) == (beta, "b1")


def test_the_first_line_is_paged_first():
    owner = TeamFactory()
    component = ComponentFactory(owner_team=owner)
    ops_rotation, olga = on_call(TeamFactory(slug="ops"), "olga")
    _, alice = on_call(owner, "alice")
    SupportPolicyFactory(first_line_rotation=ops_rotation)

    found = responders(component=component, at=at(3))

    assert (found.first_line.user, found.primary.user) == (olga, alice)
    assert [step.role for step in found.escalation][:2] == ["first_line", "primary"]


def test_an_override_changes_the_responder_only_for_its_window():
    owner = TeamFactory()
    component = ComponentFactory(owner_team=owner)
    rotation, alice = on_call(owner, "alice")
    cover = UserFactory(username="cover")
    services.override_create(rotation=rotation, user=cover, start=at(3, 9), end=at(3, 17))

    assert responders(component=component, at=at(3, 8)).primary.user == alice
    during = responders(component=component, at=at(3, 12))
    assert (during.primary.user, during.primary.shift_end) == (cover, at(3, 17))
    assert responders(component=component, at=at(3, 17)).primary.user == alice


def test_nobody_on_call_gives_empty_primary_and_secondary():
    component = ComponentFactory()

    found = responders(component=component, at=at(3))

    assert (found.primary, found.secondary, found.escalation) == (None, None, [])


def test_responders_for_a_team_include_rotations_following_its_support_shift():
    alpha, beta = TeamFactory(), TeamFactory()
    teams = TeamRotationFactory(participants=[alpha, beta], timezone="UTC")
    ShiftFactory(rotation=teams, user=None, team=alpha, start=at(1, 9), end=at(15, 9))
    follower = RotationFactory(team=None, follows_team_rotation=teams, timezone="UTC")
    a1 = UserFactory()
    ShiftFactory(rotation=follower, user=a1, start=at(1, 9), end=at(15, 9))
    _, secondary = on_call(alpha, "alpha-secondary", role=Rotation.Role.SECONDARY)

    found = responders_for_team(team=alpha, at=at(3))

    assert (found.responding_team, found.primary.user, found.secondary.user) == (
        alpha,
        a1,
        secondary,
    )
    assert responders_for_team(team=beta, at=at(3)).primary is None


def test_responders_for_a_rotation():
    alpha = TeamFactory()
    teams = TeamRotationFactory(participants=[alpha], timezone="UTC")
    ShiftFactory(rotation=teams, user=None, team=alpha, start=at(1, 9), end=at(15, 9))
    person_rotation, anna = on_call(alpha, "anna", role=Rotation.Role.SECONDARY)

    by_team_rotation = responders_for_rotation(rotation=teams, at=at(3))
    by_person_rotation = responders_for_rotation(rotation=person_rotation, at=at(3))

    assert (by_team_rotation.responding_team, by_team_rotation.secondary.user) == (alpha, anna)
    assert (by_person_rotation.primary, by_person_rotation.secondary.user) == (None, anna)


def build_rotating_setup(teams_count, weeks):
    """Create a rotating policy over ``teams_count`` teams with ``weeks`` weeks of shifts."""
    teams = [TeamFactory() for _ in range(teams_count)]
    team_rotation = TeamRotationFactory(participants=teams, timezone="UTC")
    rows = []
    for team in teams:
        person = RotationFactory(team=team, timezone="UTC")
        user = UserFactory()
        MembershipFactory(team=team, user=user, role="lead")
        for week in range(weeks):
            start = at(1, 9) + datetime.timedelta(weeks=week)
            rows.append(
                Shift(
                    rotation=person, user=user, start=start, end=start + datetime.timedelta(weeks=1)
                )
            )
    for week in range(weeks):
        start = at(1, 9) + datetime.timedelta(weeks=week)
        team = teams[week % teams_count]
        rows.append(
            Shift(
                rotation=team_rotation,
                team=team,
                start=start,
                end=start + datetime.timedelta(weeks=1),
            )
        )
    Shift.objects.bulk_create(rows)
    ops, _ = on_call(TeamFactory(), f"ops-{teams_count}")
    area = ComponentFactory(kind="area")
    component = ComponentFactory(parent=area, owner_team=None)
    SupportPolicyFactory(
        model="rotating", team_rotation=team_rotation, first_line_rotation=ops, components=[area]
    )
    return component


def test_responders_runs_the_same_number_of_queries_whatever_the_data_size(
    django_assert_num_queries,
):
    small = build_rotating_setup(teams_count=1, weeks=2)
    with CaptureQueriesContext(connection) as baseline:
        found = responders(component=small, at=at(3))
    assert found.primary is not None and found.first_line is not None
    large = build_rotating_setup(teams_count=12, weeks=120)
    assert Shift.objects.count() > 1500

    with django_assert_num_queries(len(baseline.captured_queries)):
        found = responders(component=large.slug, at=at(20))

    assert found.primary is not None and found.first_line is not None
    # ... and 11 at most: a past instant reads the dated ownership history once.
    assert len(baseline.captured_queries) <= 11
