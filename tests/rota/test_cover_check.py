"""The cover check: guarded components that routing leaves without anyone out of hours.

Worked by hand on one week in New York that crosses the start of daylight saving time
(Sunday 10 March 2024, 02:00 EST -> 03:00 EDT): the check runs from Monday 4 March 09:00 EST
(14:00 UTC) to Monday 11 March 10:00 EDT (14:00 UTC).
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from ownership.models import Component
from rota.models import Rotation, RoutingSettings, SupportPolicy
from rota.routing import responders
from rota.selectors.cover_gaps import cover_gaps
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

from .factories import (
    RotationFactory,
    ShiftFactory,
    SupportPolicyFactory,
    TeamRotationFactory,
)

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
NOW = datetime.datetime(2024, 3, 4, 14, tzinfo=UTC)  # Monday 09:00 EST


def ny(day, hour):
    return datetime.datetime(2024, 3, day, hour, tzinfo=NY)


def spans(gap):
    return [(s.start, s.end, s.team.slug if s.team else None) for s in gap.spans]


@pytest.fixture
def payments():
    """Payments (New York) has one person rotation, on duty in business hours only."""
    team = TeamFactory(name="Payments", slug="payments", timezone="America/New_York")
    rotation = RotationFactory(
        name="Payments on-call",
        team=team,
        timezone="America/New_York",
        restriction=Rotation.Restriction.BUSINESS_HOURS,
        start_date=datetime.date(2024, 3, 4),
    )
    ShiftFactory(
        rotation=rotation,
        user=UserFactory(username="alice"),
        start=NOW - datetime.timedelta(days=7),
        end=NOW + datetime.timedelta(days=21),
    )
    return team


# Out of hours in New York, none of it covered: four weeknights of 16 hours, then Friday
# 17:00 EST to Monday 09:00 EDT, which is 63 hours, not 64 (the clocks skip an hour on Sunday).
NIGHTS_AND_WEEKEND = [
    (ny(4, 17), ny(5, 9), "payments"),
    (ny(5, 17), ny(6, 9), "payments"),
    (ny(6, 17), ny(7, 9), "payments"),
    (ny(7, 17), ny(8, 9), "payments"),
    (ny(8, 17), ny(11, 9), "payments"),
]


def test_a_critical_component_with_only_business_hours_cover_is_reported(payments):
    checkout = ComponentFactory(
        name="Checkout", slug="checkout", owner_team=payments, tier=Component.Tier.CRITICAL
    )
    ComponentFactory(name="Ledger UI", owner_team=payments, tier=Component.Tier.STANDARD)

    (gap,) = cover_gaps(weeks=1, now=NOW)

    assert gap.component == checkout
    assert spans(gap) == NIGHTS_AND_WEEKEND
    assert [s.start.tzinfo for s in gap.spans] == [NY] * 5  # in the team's own zone
    assert gap.spans[-1].end.utcoffset() == datetime.timedelta(hours=-4)  # EDT by Monday
    assert gap.hours == 4 * 16 + 63
    assert [t.slug for t in gap.teams] == ["payments"]
    # Routing agrees: nobody at 03:00 on Sunday, alice on Monday at noon.
    assert responders(component="checkout", at=ny(10, 3)).primary is None
    assert responders(component="checkout", at=ny(4, 12)).primary.username == "alice"


def test_the_setting_decides_which_tiers_are_guarded(payments):
    ComponentFactory(name="Checkout", owner_team=payments, tier=Component.Tier.CRITICAL)
    ComponentFactory(name="Ledger UI", owner_team=payments, tier=Component.Tier.STANDARD)
    ComponentFactory(name="Docs", owner_team=payments, tier=Component.Tier.LOW)

    RoutingSettings.objects.create(pk=RoutingSettings.SINGLETON_ID, cover_check_max_tier=3)
    found = cover_gaps(weeks=1, now=NOW)

    assert [g.component.name for g in found] == ["Checkout", "Ledger UI"]  # tier 4 is not
    assert spans(found[1]) == NIGHTS_AND_WEEKEND


def test_cover_from_another_rotation_or_the_first_line_counts(payments):
    """Nights come from an out-of-hours rotation, but nobody takes Saturday 18:00 to Sunday
    06:00; a first line covers a second component then."""
    nights = RotationFactory(
        name="Payments nights",
        team=payments,
        role=Rotation.Role.SECONDARY,
        timezone="America/New_York",
        restriction=Rotation.Restriction.OUT_OF_HOURS,
        start_date=datetime.date(2024, 3, 4),
    )
    ShiftFactory(rotation=nights, start=ny(1, 9), end=ny(9, 18))
    ShiftFactory(rotation=nights, start=ny(10, 6), end=ny(15, 9))
    first_line = RotationFactory(name="Ops", team=TeamFactory(timezone="UTC"), timezone="UTC")
    ShiftFactory(rotation=first_line, start=ny(9, 12), end=ny(10, 12))
    covered = ComponentFactory(name="API", owner_team=payments, tier=Component.Tier.CRITICAL)
    SupportPolicyFactory(components=[covered], first_line_rotation=first_line)
    ComponentFactory(name="Checkout", owner_team=payments, tier=Component.Tier.CRITICAL)

    (gap,) = cover_gaps(weeks=1, now=NOW)

    # Saturday 18:00 EST to Sunday 06:00 EDT: 11 hours, the clocks skip one.
    assert (gap.component.name, spans(gap), gap.hours) == (
        "Checkout",
        [(ny(9, 18), ny(10, 6), "payments")],
        11,
    )


def test_a_first_line_with_owners_paged_in_business_hours_only_must_cover_alone(payments):
    """Owner paging held to business hours: out of hours only the first line answers."""
    nights = RotationFactory(
        team=payments,
        role=Rotation.Role.SECONDARY,
        timezone="America/New_York",
        restriction=Rotation.Restriction.OUT_OF_HOURS,
    )
    ShiftFactory(rotation=nights, start=ny(1, 9), end=ny(15, 9))
    first_line = RotationFactory(name="Ops", timezone="UTC")
    ShiftFactory(rotation=first_line, start=ny(1, 9), end=ny(9, 18))  # leaves from Saturday
    checkout = ComponentFactory(name="Checkout", owner_team=payments, tier=1)
    SupportPolicyFactory(
        components=[checkout],
        first_line_rotation=first_line,
        owner_paging=SupportPolicy.OwnerPaging.BUSINESS_HOURS,
    )

    (gap,) = cover_gaps(weeks=1, now=NOW)

    assert spans(gap) == [(ny(9, 18), ny(11, 9), "payments")]


def test_a_rotating_policy_names_the_team_on_shift_in_its_own_zone(payments):
    """Core (London) covers around the clock until Thursday 7 March 12:00 UTC (07:00 EST); then
    Payments (business hours only, New York) is on support until Saturday 9 March 12:00 UTC;
    then no team is: the team rotation's zone, London (still GMT), applies to that span."""
    london = TeamFactory(name="Core", slug="core", timezone="Europe/London")
    core = RotationFactory(team=london, timezone="Europe/London")
    ShiftFactory(rotation=core, start=ny(1, 0), end=ny(15, 0))
    support = TeamRotationFactory(name="Support", timezone="Europe/London")
    thursday = datetime.datetime(2024, 3, 7, 12, tzinfo=UTC)
    saturday = datetime.datetime(2024, 3, 9, 12, tzinfo=UTC)
    ShiftFactory(rotation=support, user=None, team=london, start=ny(1, 0), end=thursday)
    ShiftFactory(rotation=support, user=None, team=payments, start=thursday, end=saturday)
    checkout = ComponentFactory(name="Checkout", owner_team=london, tier=1)
    SupportPolicyFactory(
        components=[checkout], model=SupportPolicy.Model.ROTATING, team_rotation=support
    )

    (gap,) = cover_gaps(weeks=1, now=NOW)

    assert spans(gap) == [
        (ny(7, 7), ny(7, 9), "payments"),  # Payments take over before their office opens
        (ny(7, 17), ny(8, 9), "payments"),
        (ny(8, 17), ny(9, 7), "payments"),
        (
            datetime.datetime(2024, 3, 9, 12, tzinfo=LONDON),
            datetime.datetime(2024, 3, 11, 9, tzinfo=LONDON),  # Monday's business hours
            None,
        ),
    ]
    assert [s.start.tzinfo for s in gap.spans] == [NY, NY, NY, LONDON]
    assert [t.slug for t in gap.teams] == ["payments"]


def test_the_check_runs_the_same_queries_however_big_the_organisation(
    payments, django_assert_num_queries
):
    # settings, components, parents, policy links, policies, team rotations' shifts and
    # overrides, person rotations, their shifts and overrides, and the team holidays of the
    # restricted ones
    def world(n):
        team = TeamFactory(timezone="Asia/Tokyo")
        support = TeamRotationFactory()
        ShiftFactory(rotation=support, user=None, team=team, start=ny(1, 0), end=ny(20, 0))
        for _ in range(n):
            rotation = RotationFactory(team=team, restriction="business_hours")
            ShiftFactory(rotation=rotation, start=ny(1, 0), end=ny(20, 0))
            owned = ComponentFactory(owner_team=team, tier=1)
            rotating = ComponentFactory(parent=owned, tier=1)
            SupportPolicyFactory(components=[rotating], model="rotating", team_rotation=support)

    world(1)
    with django_assert_num_queries(11):
        small = cover_gaps(weeks=1, now=NOW)
    world(5)
    with django_assert_num_queries(11):
        large = cover_gaps(weeks=1, now=NOW)
    assert len(small) == 2 and len(large) == 2 + 10
