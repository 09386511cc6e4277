"""core imports no app: the answers it needs come from the functions portal.settings names.

The organisation: Alpha (Europe/Berlin) and Beta (Asia/Tokyo). maria manages Alpha and is an
engineer in Beta; sam belongs to no team.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from core.pages import viewer_zone_name
from core.permissions import managed_team_ids
from notifications.models import NotificationPreference
from ownership.models import Membership
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    alpha = TeamFactory(name="Alpha", timezone="Europe/Berlin")
    beta = TeamFactory(name="Beta", timezone="Asia/Tokyo")
    maria = UserFactory(username="maria")
    MembershipFactory(team=alpha, user=maria, role=Membership.Role.MANAGER)
    MembershipFactory(team=beta, user=maria, role=Membership.Role.ENGINEER)
    return alpha, beta, maria, UserFactory(username="sam")


def test_the_teams_a_user_manages_come_from_the_ownership_app(org):
    alpha, _beta, maria, sam = org
    # Worked out on paper: maria manages Alpha only (in Beta she is an engineer); sam, nothing.
    assert managed_team_ids(maria) == {alpha.pk}
    assert managed_team_ids(sam) == set()


def test_the_viewer_zone_is_the_preference_else_the_first_team_by_name_else_utc(org):
    _alpha, _beta, maria, sam = org
    # Worked out on paper: no preference -> first team by name, Alpha -> Europe/Berlin.
    assert viewer_zone_name(maria) == "Europe/Berlin"
    NotificationPreference.objects.create(user=maria, timezone="America/New_York")
    assert viewer_zone_name(maria) == "America/New_York"
    assert viewer_zone_name(sam) == "UTC"


@override_settings(ROTA_MANAGED_TEAM_IDS="ownership.selectors.no_such_function")
def test_a_setting_naming_nothing_is_refused_by_name(org):
    with pytest.raises(ImproperlyConfigured, match="ROTA_MANAGED_TEAM_IDS"):
        managed_team_ids(org[2])
