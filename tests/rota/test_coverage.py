"""Which components a rotation answers for, under each support model (DESIGN §3.3)."""

import datetime

import pytest

from rota.models import SupportPolicy
from rota.selectors.coverage import components_covered
from tests.ownership.factories import ComponentFactory, TeamFactory

from .factories import RotationFactory, ShiftFactory, SupportPolicyFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2030, 1, 7, 9, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def names(rotation, at):
    return [c.name for c in components_covered(rotation=rotation, at=at)]


def test_each_model_routes_its_components_to_the_right_rotations():
    payments, search, support = (
        TeamFactory(name="Payments"),
        TeamFactory(name="Search"),
        TeamFactory(name="Support"),
    )
    ComponentFactory(name="Checkout", owner_team=payments)
    ComponentFactory(name="Search", owner_team=search)
    storefront = ComponentFactory(name="Storefront", kind="area", owner_team=payments)
    ComponentFactory(name="Cart", parent=storefront, owner_team=None)  # inherits Payments
    ledger = ComponentFactory(name="Ledger", owner_team=payments)
    team_rotation = TeamRotationFactory(name="Storefront support")
    first_line = RotationFactory(name="Ops first line", team=None)
    SupportPolicyFactory(
        model=SupportPolicy.Model.ROTATING,
        team_rotation=team_rotation,
        first_line_rotation=first_line,
        components=[storefront],
    )
    SupportPolicyFactory(
        model=SupportPolicy.Model.DEDICATED, dedicated_team=support, components=[ledger]
    )
    # Search is on the storefront support shift for the first two weeks, Payments after.
    ShiftFactory(rotation=team_rotation, team=search, user=None, start=T0, end=T0 + 14 * DAY)
    ShiftFactory(
        rotation=team_rotation, team=payments, user=None, start=T0 + 14 * DAY, end=T0 + 28 * DAY
    )
    payments_oncall = RotationFactory(team=payments)
    search_oncall = RotationFactory(team=search)
    support_oncall = RotationFactory(team=support)
    followers = RotationFactory(team=None, follows_team_rotation=team_rotation)

    # No default policy: what no policy names is total ownership.
    # Week 1: Payments answers for Checkout only (Storefront and Cart rotate, Ledger is
    # Support's); Search answers for its own component and, on shift, Storefront and Cart.
    at = T0 + DAY
    assert names(payments_oncall, at) == ["Checkout"]
    assert names(search_oncall, at) == ["Cart", "Search", "Storefront"]
    assert names(support_oncall, at) == ["Ledger"]
    assert names(team_rotation, at) == ["Cart", "Storefront"]
    assert names(followers, at) == ["Cart", "Storefront"]
    assert names(first_line, at) == ["Cart", "Storefront"]
    # Week 3: the support shift has passed to Payments.
    later = T0 + 15 * DAY
    assert names(payments_oncall, later) == ["Cart", "Checkout", "Storefront"]
    assert names(search_oncall, later) == ["Search"]


def test_a_default_policy_applies_to_what_no_policy_names():
    payments, support = TeamFactory(name="Payments"), TeamFactory(name="Support")
    ComponentFactory(name="Checkout", owner_team=payments)
    named = ComponentFactory(name="Ledger", owner_team=payments)
    SupportPolicyFactory(model=SupportPolicy.Model.DEDICATED, dedicated_team=support)  # default
    SupportPolicyFactory(model=SupportPolicy.Model.OWNERSHIP, components=[named])

    # The default (no components) sends Checkout to Support; Ledger's own policy keeps it
    # with its owner, Payments.
    assert names(RotationFactory(team=support), T0) == ["Checkout"]
    assert names(RotationFactory(team=payments), T0) == ["Ledger"]
