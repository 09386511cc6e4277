import datetime

import pytest
from django.core import mail

from notifications import services
from notifications.models import Delivery
from notifications.selectors import rota_warnings
from ownership.models import Component
from rota.models import Rotation, RoutingSettings
from tests.ownership.factories import (
    ComponentFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)
from tests.rota.factories import RotationFactory, ShiftFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def warn(django_capture_on_commit_callbacks):
    def run(at):
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            services.rota_warnings_scan(now=at, enqueue=enqueued.extend)
        for delivery_id in enqueued:
            services.delivery_send(delivery_id=delivery_id, now=at)
        return enqueued

    return run


def test_managers_hear_once_a_week_about_gaps_and_leave_conflicts(
    team, rotation, alice, bob, now, warn
):
    maria = MembershipFactory(
        team=team, role="manager", user=UserFactory(first_name="Maria", last_name="Garcia")
    ).user
    start = datetime.datetime(2024, 6, 3, 8, tzinfo=datetime.UTC)  # 09:00 London
    ShiftFactory(rotation=rotation, user=alice, start=start, end=start + 7 * DAY)
    ShiftFactory(rotation=rotation, user=bob, start=start + 7 * DAY, end=start + 14 * DAY)
    UnavailabilityFactory(
        user=bob,
        start_date=datetime.date(2024, 6, 11),
        end_date=datetime.date(2024, 6, 12),
        reason="Conference",
    )
    assert len(warn(now)) == 1
    (message,) = mail.outbox
    assert message.to == [maria.email]
    assert message.subject.startswith("Rota check: ") and "in the next 4 weeks" in message.subject
    assert "Payments on-call" in message.body
    assert "- Nobody on duty: Mon 17 Jun 2024, 09:00 BST - Mon 1 Jul 2024, 10:00 BST" in (
        message.body
    )
    assert (
        "- Bob Stone is on duty while away (Conference): Tue 11 Jun 2024, 00:00 BST - "
        "Thu 13 Jun 2024, 00:00 BST"
    ) in message.body

    assert warn(now + DAY) == []  # the same ISO week
    assert len(warn(now + 7 * DAY)) == 1
    assert Delivery.objects.filter(kind="warning").count() == 2


def test_a_rota_without_problems_warns_nobody(team, rotation, alice, now, warn):
    MembershipFactory(team=team, role="manager")
    ShiftFactory(
        rotation=rotation,
        user=alice,
        start=now - 7 * DAY,
        end=now + 60 * DAY,
    )
    assert warn(now) == []


# --- Components nobody covers out of hours ------------------------------------------------

# Monday 4 March 2024, 09:00 in New York (EST); the four weeks checked end on Monday 1 April,
# 10:00 EDT (the clocks went forward on Sunday 10 March).
MARCH = datetime.datetime(2024, 3, 4, 14, tzinfo=datetime.UTC)


@pytest.fixture
def new_york():
    """Checkout (tier 1) and Ledger UI (tier 3), owned by Payments US whose only rotation is
    on duty in business hours (Monday to Friday 09:00-17:00 New York)."""

    team = TeamFactory(name="Payments US", slug="payments-us", timezone="America/New_York")
    maria = MembershipFactory(
        team=team, role="manager", user=UserFactory(first_name="Maria", last_name="Lopez")
    ).user
    rotation = RotationFactory(
        name="Payments US on-call",
        team=team,
        timezone="America/New_York",
        restriction=Rotation.Restriction.BUSINESS_HOURS,
    )
    ShiftFactory(rotation=rotation, start=MARCH - 7 * DAY, end=MARCH + 35 * DAY)
    ComponentFactory(name="Checkout", owner_team=team, tier=Component.Tier.CRITICAL)
    ComponentFactory(name="Ledger UI", owner_team=team, tier=Component.Tier.STANDARD)
    return maria


def test_managers_hear_of_a_critical_component_nobody_covers_out_of_hours(new_york, warn):
    assert len(warn(MARCH)) == 1
    (message,) = mail.outbox
    assert message.to == [new_york.email]
    assert message.subject == "Rota check: 1 problem in the next 4 weeks"
    # 16 weeknights of 16 hours and 4 weekends of 64, but 63 the first (the clocks skip one):
    # 20 spans, 256 + 63 + 3 * 64 = 511 hours.
    assert "Checkout (tier 1): no out-of-hours cover, 511 h" in message.body
    assert "Ledger UI" not in message.body  # tier 3: not guarded by default
    body = message.body
    assert body.count("- Nobody to page for Payments US: ") == 20
    assert (
        "- Nobody to page for Payments US: Mon 4 Mar 2024, 17:00 EST - Tue 5 Mar 2024, 09:00 EST"
        in body
    )
    assert (
        "- Nobody to page for Payments US: Fri 8 Mar 2024, 17:00 EST - Mon 11 Mar 2024, 09:00 EDT"
        in body
    )
    assert (
        "- Nobody to page for Payments US: Fri 29 Mar 2024, 17:00 EDT - Mon 1 Apr 2024, 09:00 EDT"
    ) in body


def test_the_routing_settings_widen_the_guarded_tiers(new_york, warn):
    RoutingSettings.objects.create(pk=RoutingSettings.SINGLETON_ID, cover_check_max_tier=3)
    warn(MARCH)
    (message,) = mail.outbox
    assert message.subject == "Rota check: 2 problems in the next 4 weeks"
    assert "Ledger UI (tier 3): no out-of-hours cover, 511 h" in message.body


# --- Double bookings -------------------------------------------------------------------------


@pytest.fixture
def double_booked(team, alice, bob, now):
    """Alice holds Payments primary for a month; in Search secondary she holds Wednesday 5 June
    09:00 to Thursday 09:00 and Thursday to Friday 7 June 09:00 UTC: one clash of two days."""

    search = TeamFactory(name="Search", slug="search", timezone="Europe/London")
    payments_primary = RotationFactory(name="Payments primary", team=team)
    search_secondary = RotationFactory(name="Search secondary", team=search, role="secondary")
    ShiftFactory(rotation=payments_primary, user=alice, start=now - DAY, end=now + 40 * DAY)
    wednesday = datetime.datetime(2024, 6, 5, 9, tzinfo=datetime.UTC)
    for user, start, end in (
        (bob, now - DAY, wednesday),
        (alice, wednesday, wednesday + DAY),
        (alice, wednesday + DAY, wednesday + 2 * DAY),
        (bob, wednesday + 2 * DAY, now + 40 * DAY),
    ):
        ShiftFactory(rotation=search_secondary, user=user, start=start, end=end)
    managers = {
        "maria": MembershipFactory(team=team, role="manager").user,
        "sam": MembershipFactory(team=search, role="manager").user,
        "lee": MembershipFactory(team=team, role="manager").user,
    }
    MembershipFactory(team=search, user=managers["lee"], role="manager")
    return managers


def test_a_double_booking_names_both_rotations_once_for_each_manager(double_booked, now, warn):
    assert len(warn(now)) == 3
    line = (
        "- Alice Martin is on Payments primary and Search secondary from "
        "Wed 5 Jun 2024, 10:00 BST to Fri 7 Jun 2024, 10:00 BST"
    )
    by_address = {message.to[0]: message for message in mail.outbox}
    for name in ("maria", "sam", "lee"):
        message = by_address[double_booked[name].email]
        assert message.subject == "Rota check: 1 problem in the next 4 weeks", name
        assert message.body.count(line) == 1, name
        assert message.body.count("Alice Martin is on") == 1, name
    assert "Search secondary\n" in by_address[double_booked["sam"].email].body


def test_the_weekly_check_runs_the_same_queries_however_big_the_rota(
    double_booked, new_york, now, django_assert_num_queries
):

    # Rotation check 8 (rotations, shifts, overrides, team holidays, overlaps, people's shifts
    # and overrides elsewhere, leave), cover check 9 (settings, components, parents, policy
    # links, policies, person rotations, their shifts and overrides, team holidays), managers
    # 1, recipients 2.
    with django_assert_num_queries(20):
        rota_warnings(now=now)
    team = TeamFactory(timezone="Asia/Tokyo")
    MembershipFactory(team=team, role="manager")
    for _ in range(3):
        rotation = RotationFactory(team=team, restriction="business_hours")
        ShiftFactory(rotation=rotation, start=now, end=now + 3 * DAY)
        ComponentFactory(owner_team=team, tier=1)
    with django_assert_num_queries(20):
        plans = rota_warnings(now=now)
    named = {r["name"] for plan in plans for r in plan.payload["rotations"]}
    assert rotation.name in named  # its gaps are warned about with the rest
    assert len({c["slug"] for plan in plans for c in plan.payload["components"]}) == 1 + 3
