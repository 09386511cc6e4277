"""The shift and override lists' "by user" filter offers a manager only the people they may
pick (ownership.admin_people: members of the teams they manage and the people of those
teams' rotations), not every username that appears in the rows; a superuser sees everyone.

Maria manages Payments (ana takes turns there); zed is only in Search, which maria does not
manage. Both hold shifts and overrides.
"""

import pytest

from ownership.models import Membership
from portal.demo.seed import managers_group_sync
from tests.ownership.factories import MembershipFactory, UserFactory

from .factories import OverrideFactory, RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    ana, zed = UserFactory(username="ana"), UserFactory(username="zed")
    payments = RotationFactory(name="Payments on-call", participants=[ana])
    search = RotationFactory(name="Search on-call", participants=[zed])
    MembershipFactory(team=search.team, user=zed)
    for rotation, person in ((payments, ana), (search, zed)):
        ShiftFactory(rotation=rotation, user=person)
        OverrideFactory(rotation=rotation, user=person)
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(managers_group_sync())
    MembershipFactory(team=payments.team, user=maria, role=Membership.Role.MANAGER)
    return {"ana": ana, "zed": zed, "maria": maria}


def offered(client, model):
    response = client.get(f"/admin/rota/{model}/", {"when": "all"})
    assert response.status_code == 200
    for spec in response.context["cl"].filter_specs:
        if getattr(spec, "field_path", None) == "user":
            return {label for _, label in spec.lookup_choices}
    raise AssertionError("no user filter")


@pytest.mark.parametrize("model", ["shift", "override"])
def test_a_manager_is_offered_only_their_people(org, client, model):
    client.force_login(org["maria"])
    assert offered(client, model) == {"ana"}


@pytest.mark.parametrize("model", ["shift", "override"])
def test_a_superuser_is_offered_everyone_in_the_rows(org, admin_client, model):
    assert offered(admin_client, model) == {"ana", "zed"}
