"""Reads other apps rely on: the open incidents a rotation answers for (handoff messages)."""

import pytest

from incidents.selectors import open_incidents_for_rotation
from tests.ownership.factories import TeamFactory
from tests.rota.factories import RotationFactory, SupportPolicyFactory, TeamRotationFactory

from .factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_a_person_rotation_answers_for_its_teams_open_incidents():
    team = TeamFactory()
    rotation = RotationFactory(team=team)
    open_one = IncidentFactory(responding_team=team, severity="SEV2")
    worse = IncidentFactory(responding_team=team, severity="SEV1")
    IncidentFactory(responding_team=team, status="resolved", resolved_at="2030-01-01T00:00Z")
    IncidentFactory()

    assert list(open_incidents_for_rotation(rotation=rotation)) == [worse, open_one]


def test_a_support_rotation_answers_for_the_incidents_its_policy_routed():
    teams = TeamRotationFactory()
    follower = RotationFactory(team=None, follows_team_rotation=teams)
    policy = SupportPolicyFactory(model="rotating", team_rotation=teams)
    routed = IncidentFactory(support_policy=policy)
    IncidentFactory()

    assert list(open_incidents_for_rotation(rotation=teams)) == [routed]
    assert list(open_incidents_for_rotation(rotation=follower)) == [routed]


def test_a_first_line_rotation_answers_for_its_policies_incidents():
    first_line = RotationFactory()
    policy = SupportPolicyFactory(first_line_rotation=first_line)
    routed = IncidentFactory(support_policy=policy)
    IncidentFactory()

    assert list(open_incidents_for_rotation(rotation=first_line)) == [routed]
