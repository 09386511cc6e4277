"""The demo organisation with a rota and incidents, for the browser tests and the screenshots.

``seed_demo`` loads the demo organisation; where it holds no rota (or no incidents) yet, this
adds a small one through the rota services: a weekly on-call rotation per team, a secondary
rotation for Payments, a storefront support rotation in which three teams take turns by
sprint, support policies of all three models with Operations as first line, some leave, a
cover, an unassigned shift (a gap), a shift on offer, and a triggered incident.
"""

import datetime

from django.utils import timezone

from incidents import services as incident_services
from incidents.demo import seed_incidents
from incidents.models import Incident, Severity
from ownership.models import Membership
from portal.demo.seed import DemoSeed, seed_all
from rota import services
from rota.models import Rotation, Shift

WEEKS_AHEAD = 10
ONE_DAY = datetime.timedelta(days=1)


def _monday(day: datetime.date, weeks_back: int = 0) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday() + 7 * weeks_back)


def _duty(team) -> list:
    """Return the team's lead and engineers, lead first, the way the demo lists them."""
    rows = Membership.objects.filter(team=team).select_related("user").order_by("pk")
    return [m.user for m in rows if m.role != Membership.Role.MANAGER]


def _person_rotation(team, name, people, *, start, role=Rotation.Role.PRIMARY):
    return services.rotation_create(
        name=name,
        kind=Rotation.Kind.PERSON,
        team=team,
        role=role,
        shift_length_unit=Rotation.Unit.WEEKS,
        shift_length_count=1,
        handoff_time=datetime.time(9, 0),
        timezone=team.timezone,
        start_date=start,
        participants=people,
    )


def seed_rota(seed: DemoSeed) -> dict:
    """Add the demo rota and support policies; return the rotations by name."""
    today = seed.now.date()
    start = _monday(today, weeks_back=3)
    until = today + datetime.timedelta(weeks=WEEKS_AHEAD)
    teams = seed.teams
    rotations = {}
    for slug, team in teams.items():
        rotations[slug] = _person_rotation(team, f"{team.name} on call", _duty(team), start=start)
    payments = _duty(teams["payments"])
    rotations["payments-secondary"] = _person_rotation(
        teams["payments"],
        "Payments secondary",
        payments[2:] + payments[:2],
        start=start,
        role=Rotation.Role.SECONDARY,
    )
    sprints = services.sprint_calendar_create(
        name="Product sprints", start_date=start, length_days=14, timezone="Europe/London"
    )
    rotations["storefront"] = services.rotation_create(
        name="Storefront support",
        description="Checkout, Search and Catalog take the storefront's support in turn.",
        kind=Rotation.Kind.TEAM,
        shift_length_unit=Rotation.Unit.SPRINTS,
        shift_length_count=1,
        sprint_calendar=sprints,
        handoff_time=datetime.time(10, 0),
        timezone="Europe/London",
        start_date=start,
        participants=[teams["checkout"], teams["search"], teams["catalog"]],
    )
    for rotation in rotations.values():
        services.rotation_generate(rotation=rotation, until=until, now=seed.now)
    services.support_policy_create(
        name="Total ownership",
        description="Every team answers for what it owns; Operations is paged first.",
        model="ownership",
        first_line_rotation=rotations["sre"],
    )
    services.support_policy_create(
        name="Storefront rotating support",
        model="rotating",
        team_rotation=rotations["storefront"],
        first_line_rotation=rotations["sre"],
        components=["checkout-area", "search-area", "catalog-area"],
    )
    services.support_policy_create(
        name="Legacy: dedicated Platform support",
        model="dedicated",
        dedicated_team=teams["platform"],
        components=["legacy-admin"],
    )
    _texture(seed, rotations)
    seed.log(f"{len(rotations)} rotations with {Shift.objects.count()} shifts, 3 support policies")
    return rotations


def _future_shifts(rotation, now):
    return list(rotation.shifts.filter(start__gt=now).select_related("user").order_by("start"))


def _texture(seed: DemoSeed, rotations: dict) -> None:
    """Add what a lived-in rota has: leave, a cover, a gap and a shift on offer."""
    now, admin = seed.now, seed.admin
    secondary = _future_shifts(rotations["payments-secondary"], now)
    if len(secondary) > 2:
        services.shift_update(shift=secondary[2], by=admin, user=None)  # nobody yet: a gap
    primary = _future_shifts(rotations["payments"], now)
    if len(primary) > 3:
        away = primary[3]
        day = timezone.localdate(away.start) + ONE_DAY
        services.unavailability_create(
            user=away.user, start_date=day, end_date=day + ONE_DAY, reason="Dentist", by=admin
        )
    identity = _future_shifts(rotations["identity"], now)
    if len(identity) > 1:
        shift = identity[1]
        cover = next(u for u in _duty(shift.rotation.team) if u.pk != shift.user_id)
        services.override_create(
            rotation=shift.rotation,
            by=admin,
            user=cover,
            start=shift.start + 2 * ONE_DAY,
            end=shift.start + 3 * ONE_DAY,
            reason="Covers a school event",
        )
    for name, message in (
        ("checkout", "Away that week, can anyone take it?"),
        ("payments", "Moving house; happy to take one of yours in January."),
    ):
        shifts = _future_shifts(rotations[name], now)
        # Someone other than the demo engineer, whose own shifts the browser tests offer.
        shift = next((s for s in shifts if s.user and s.user.username != "alice.martin"), None)
        if shift is not None:
            services.swap_offer(shift=shift, by=shift.user, message=message)


def seed_open_incident(seed: DemoSeed) -> Incident:
    """Open a triggered incident that nobody has acknowledged yet (no pages are sent)."""
    return incident_services.incident_create(
        title="Checkout API: error rate above 5%",
        description="Synthetic checks fail on POST /checkout since the last deploy.",
        component=seed.components["checkout-api"],
        severity=Severity.SEV2,
        at=seed.now - datetime.timedelta(minutes=6),
        escalate=False,
    )


def seed_portal_demo(*, now=None) -> DemoSeed:
    """Load the demo organisation, with a rota and incidents where it brings none itself."""
    seed = seed_all(now=now)
    if not Rotation.objects.exists():
        seed_rota(seed)
    if not Incident.objects.exists():
        seed_incidents(seed)
    if not Incident.objects.filter(status=Incident.Status.TRIGGERED).exists():
        seed_open_incident(seed)
    return seed
