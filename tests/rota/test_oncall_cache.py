"""responders_now: cached until the next boundary, dropped at once on any rota edit."""

import datetime

import pytest
from django.utils import timezone

from ownership import services as ownership_services
from rota import routing, routing_cache, services
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

from .factories import OverrideFactory, RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    """Alice on call until an hour from now, then Bob."""
    team = TeamFactory(slug="payments")
    ComponentFactory(slug="billing", owner_team=team)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    rotation = RotationFactory(team=team, timezone="UTC")
    now = timezone.now()
    handoff = now.replace(microsecond=0) + datetime.timedelta(hours=1)
    services.shift_create(
        rotation=rotation, start=now - datetime.timedelta(days=1), end=handoff, user=alice
    )
    services.shift_create(
        rotation=rotation, start=handoff, end=handoff + datetime.timedelta(days=7), user=bob
    )
    return rotation, alice, bob, handoff


def test_the_cached_answer_costs_one_query(setup, django_assert_num_queries):
    rotation, alice, bob, handoff = setup
    assert routing_cache.responders_now(component="billing").primary.user == alice
    with django_assert_num_queries(1):
        again = routing_cache.responders_now(component="billing")
    assert again.primary.user == alice
    assert again.at >= timezone.now() - datetime.timedelta(seconds=5)


def test_an_override_is_seen_at_once(setup):
    rotation, alice, bob, handoff = setup
    assert routing_cache.responders_now(component="billing").primary.user == alice
    carol = UserFactory(username="carol")
    now = timezone.now()
    services.override_create(
        rotation=rotation, user=carol, start=now - datetime.timedelta(minutes=1), end=handoff
    )
    assert routing_cache.responders_now(component="billing").primary.user == carol


def test_the_answer_changes_at_the_shift_boundary(setup, monkeypatch):
    rotation, alice, bob, handoff = setup
    assert routing_cache.responders_now(component="billing").primary.user == alice
    later = handoff + datetime.timedelta(seconds=1)
    monkeypatch.setattr(routing.timezone, "now", lambda: later)
    assert routing_cache.responders_now(component="billing").primary.user == bob


def test_a_membership_change_reaches_the_escalation_path(setup):
    rotation, alice, bob, handoff = setup
    team = rotation.team
    roles = [s.role for s in routing_cache.responders_now(component="billing").escalation]
    assert roles == ["primary"]
    ownership_services.team_set_members(team=team, members=[(UserFactory(), "manager")])
    roles = [s.role for s in routing_cache.responders_now(component="billing").escalation]
    assert roles == ["primary", "manager"]


def test_a_new_owner_is_seen_at_once(setup):
    rotation, alice, bob, handoff = setup
    other = TeamFactory(slug="other")
    MembershipFactory(team=other)
    from ownership.models import Component

    assert routing_cache.responders_now(component="billing").responding_team.slug == "payments"
    ownership_services.component_update(
        component=Component.objects.get(slug="billing"), owner_team=other
    )
    assert routing_cache.responders_now(component="billing").responding_team.slug == "other"


def test_team_and_rotation_lookups_are_cached_too(setup, django_assert_num_queries):
    rotation, alice, bob, handoff = setup
    assert routing_cache.responders_now(team="payments").primary.user == alice
    assert routing_cache.responders_now(rotation=rotation.pk).primary.user == alice
    with django_assert_num_queries(2):
        routing_cache.responders_now(team="payments")
        routing_cache.responders_now(rotation=rotation.pk)


def test_teams_in_one_batch_answer_as_one_by_one(setup, django_assert_max_num_queries):
    rotation, alice, bob, handoff = setup
    other = TeamFactory(slug="other")
    carol = UserFactory(username="carol")
    other_rotation = RotationFactory(team=other, timezone="UTC")
    now = timezone.now()
    services.shift_create(
        rotation=other_rotation, start=now - datetime.timedelta(hours=1), end=handoff, user=carol
    )
    MembershipFactory(team=other, role="manager")
    teams = [rotation.team, other]

    alone = {team.pk: routing.responders_for_team(team=team) for team in teams}
    together = routing_cache.responders_now_for_teams(teams=teams)

    for team in teams:
        assert together[team.pk].primary.user == alone[team.pk].primary.user
        assert [s.role for s in together[team.pk].escalation] == [
            s.role for s in alone[team.pk].escalation
        ]
    assert together[other.pk].primary.user == carol
    # Cached now: the version tags only.
    with django_assert_max_num_queries(1):
        routing_cache.responders_now_for_teams(teams=teams)


def test_a_factory_made_shift_is_seen_by_a_lookup_cached_before_it():
    team = TeamFactory(slug="billing-team")
    dana = MembershipFactory(team=team, user=UserFactory(username="dana")).user
    rotation = RotationFactory(team=team, timezone="UTC")
    # Nobody on duty yet: the answer is cached (a minute, as for any gap).
    assert routing_cache.responders_now(rotation=rotation).primary is None
    now = timezone.now()
    ShiftFactory(rotation=rotation, user=dana, start=now - datetime.timedelta(hours=1))
    # The factory replaced the rota version tag, so the cached "nobody" is dropped.
    assert routing_cache.responders_now(rotation=rotation).primary.user == dana
    erin = UserFactory(username="erin")
    OverrideFactory(rotation=rotation, user=erin, start=now - datetime.timedelta(minutes=5))
    assert routing_cache.responders_now(rotation=rotation).primary.user == erin
