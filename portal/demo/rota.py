"""The demo rota: on-call rotations, a rotating support shift, policies and a lived-in texture.

A weekly on-call rotation per team, a secondary rotation for Payments, a storefront support
rotation in which three teams take turns by sprint (with a primary and a secondary on call
dealt among the team on support), a duty manager rotation as the organisation fallback,
support policies of all three models with
Operations as first line, some leave, a cover, an unassigned shift (a gap), shifts on offer,
and a triggered incident nobody has acknowledged yet, paged as a real one is. The rota starts
half a year back so that the recorded history (``portal.demo.history``), which reuses these
rotations, has people on call throughout, and runs to each rotation's horizon, as the nightly
extension would leave it.
"""

import datetime

from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident, Severity
from ownership.models import Membership
from rota import services
from rota.models import Rotation, Shift

HISTORY_WEEKS = 27
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


def seed_rota(seed) -> dict:
    """Add the demo rota and support policies; return the rotations by name."""
    today = seed.now.date()
    # Half a year back, so the recorded history (seed_history) has people on call throughout.
    start = _monday(today, weeks_back=HISTORY_WEEKS)
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
    for role, label in ((Rotation.Role.PRIMARY, ""), (Rotation.Role.SECONDARY, " (secondary)")):
        # The person on call for the storefront is dealt among the team on support that week.
        rotations[f"storefront-{role}"] = services.rotation_create(
            name=f"Storefront support on call{label}",
            kind=Rotation.Kind.PERSON,
            role=role,
            follows_team_rotation=rotations["storefront"],
            shift_length_unit=Rotation.Unit.WEEKS,
            shift_length_count=1,
            handoff_time=datetime.time(10, 0),
            timezone="Europe/London",
            start_date=start,
        )
    managers = [
        m.user
        for m in Membership.objects.filter(role=Membership.Role.MANAGER)
        .select_related("user")
        .order_by("user__username")
    ]
    rotations["duty-manager"] = services.rotation_create(
        name="Duty manager",
        description="Answers and is paged whenever routing finds nobody else on call.",
        kind=Rotation.Kind.PERSON,
        shift_length_unit=Rotation.Unit.WEEKS,
        shift_length_count=1,
        handoff_time=datetime.time(9, 0),
        timezone="Europe/London",
        start_date=start,
        participants=managers,
    )
    began = datetime.datetime.combine(start, datetime.time(0), tzinfo=datetime.UTC)
    # To the horizon the nightly job keeps (rotations_extend_all), counted from now: a
    # shorter run would show gaps in the preview until the first night. One batch per horizon.
    for weeks in sorted({r.horizon_weeks for r in rotations.values()}):
        services.rotations_generate(
            rotations=[r for r in rotations.values() if r.horizon_weeks == weeks],
            until=seed.now + datetime.timedelta(weeks=weeks),
            now=began,
        )
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
    services.routing_settings_update(
        fallback_rotation=rotations["duty-manager"], fallback_team=teams["sre"]
    )
    _texture(seed, rotations)
    seed.log(f"{len(rotations)} rotations with {Shift.objects.count()} shifts, 3 support policies")
    return rotations


def _future_shifts(rotation, now):
    return list(rotation.shifts.filter(start__gt=now).select_related("user").order_by("start"))


def _texture(seed, rotations: dict) -> None:
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
            services.swap_offer(shift=shift, by=shift.user, message=message, now=now)


def seed_open_incident(seed) -> Incident:
    """Open a triggered incident now, through the incident service, escalation included.

    Its first step (Operations' first line) is paged at once: the page is handed to the
    broker when the seeding commits and the worker sends it when it starts. Its later steps
    are due on the usual schedule, so the scheduler's escalation scan pages the owners if
    nobody acknowledges it.
    """
    return incident_services.incident_create(
        title="Checkout API: error rate above 5%",
        description="Synthetic checks fail on POST /checkout since the last deploy.",
        component=seed.components["checkout-api"],
        severity=Severity.SEV2,
        at=seed.now,
    )
