"""On-call lookups at any instant ("at") against lookups now, over 2 and 10 years of rota.

The organisation is built through the services, as managers would: three product teams with a
weekly primary, a business-hours secondary (with public holidays) and a night layer of weekly
windows; a rotating support rotation of the three teams with a person rotation following it;
a first-line rotation; monthly overrides in every person rotation. The data spans 2 years
(one back, one ahead), then is rebuilt to span 10 (five back, five ahead).

Times are CPU seconds (``time.process_time``): the machine is shared, so wall time wanders
with the neighbours' load while CPU time and ratios measured in one run stay steady.
"""

import datetime
import random
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from core import caches
from ownership import services as ownership_services
from ownership.models import Membership
from rota import services
from rota.models import Override, Rotation, Shift, Unavailability
from rota.routing import responders
from rota.routing_at import responders_at

from .harness import Bench, group

User = get_user_model()
TEAMS = (("alpha", "Europe/London"), ("beta", "America/New_York"), ("gamma", "Europe/Berlin"))
NIGHTS = [{"from_day": 1, "from": "18:00", "to_day": 6, "to": "08:00"}]


def build_org(*, prefix: str = "at") -> dict:
    """Create the teams, rotations, policies and components (no shifts yet); return them."""
    password = make_password(None)
    people = {}
    for slug, tz in TEAMS:
        team = ownership_services.team_create(
            name=f"{prefix} {slug}", slug=f"{prefix}-{slug}", timezone=tz
        )
        users = [
            User.objects.create(username=f"{prefix}-{slug}-{n}", password=password)
            for n in range(6)
        ]
        Membership.objects.bulk_create(
            Membership(team=team, user=u, role="lead" if n == 0 else "engineer")
            for n, u in enumerate(users)
        )
        people[slug] = (team, users)
    ops_team = ownership_services.team_create(name=f"{prefix} ops", slug=f"{prefix}-ops")
    ops = [User.objects.create(username=f"{prefix}-ops-{n}", password=password) for n in range(4)]
    rotations = []

    def rotation(**data):
        data.setdefault("shift_length_unit", "weeks")
        data.setdefault("shift_length_count", 1)
        data.setdefault("handoff_time", datetime.time(9))
        data.setdefault("start_date", datetime.date(2000, 1, 3))
        made = services.rotation_create(**data)
        rotations.append(made)
        return made

    for slug, tz in TEAMS:
        team, users = people[slug]
        rotation(name=f"{slug} primary", team=team, timezone=tz, participants=users)
        rotation(
            name=f"{slug} secondary",
            team=team,
            timezone=tz,
            role="secondary",
            restriction="business_hours",
            participants=users[::-1],
        )
        rotation(
            name=f"{slug} nights",
            team=team,
            timezone=tz,
            layer=1,
            restriction="weekly",
            restriction_windows=NIGHTS,
            participants=users[1:] + users[:1],
        )
    support = rotation(
        name="support",
        kind="team",
        timezone="Europe/London",
        shift_length_count=2,
        participants=[people[slug][0] for slug, _ in TEAMS],
    )
    rotation(name="support on-call", timezone="Europe/London", follows_team_rotation=support)
    first_line = rotation(
        name="first line",
        team=ops_team,
        timezone="UTC",
        shift_length_unit="days",
        participants=ops,
    )
    # Owned since long before any instant asked about, as in an organisation with history.
    since = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    owned = ownership_services.component_create(
        name=f"{prefix} owned", slug=f"{prefix}-owned", owner_team=people["alpha"][0], at=since
    )
    shared = ownership_services.component_create(
        name=f"{prefix} shared", slug=f"{prefix}-shared", owner_team=people["beta"][0], at=since
    )
    services.support_policy_create(name=f"{prefix} owned", model="ownership", components=[owned])
    services.support_policy_create(
        name=f"{prefix} rotating",
        model="rotating",
        team_rotation=support,
        first_line_rotation=first_line,
        components=[shared],
    )
    return {
        "people": people,
        "rotations": rotations,
        "components": [owned, shared],
        "team": people["alpha"][0],
    }


def fill(org: dict, *, first: datetime.date, last: datetime.date, seed: int = 1) -> None:
    """Give the org shifts, monthly overrides and public holidays from ``first`` to ``last``."""
    rotations = org["rotations"]
    ids = [r.pk for r in rotations]
    Override.objects.filter(rotation_id__in=ids).delete()
    Shift.objects.filter(rotation_id__in=ids).delete()
    Unavailability.objects.filter(team__in=[t for t, _ in org["people"].values()]).delete()
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()), datetime.UTC)
    for r in rotations:
        Rotation.objects.filter(pk=r.pk).update(start_date=first)
        r.refresh_from_db()
    # Team rotation first: its followers are dealt from its shifts.
    for r in sorted(rotations, key=lambda r: (r.kind != "team", r.follows_team_rotation_id or 0)):
        services.rotation_generate(rotation=r, until=last, now=start)
    rng = random.Random(seed)
    holidays = []
    for team, _ in org["people"].values():
        for year in range(first.year, last.year + 1):
            for month, day in ((1, 1), (5, 1), (8, 26), (12, 25), (12, 26)):
                date = datetime.date(year, month, day)
                holidays.append(
                    Unavailability(team=team, kind="public_holiday", start_date=date, end_date=date)
                )
    Unavailability.objects.bulk_create(holidays)
    members = {team.pk: users for team, users in org["people"].values()}
    persons = [r for r in rotations if r.team_id in members]
    month = start
    while month.date() < last:
        for r in persons:
            users = members[r.team_id]
            begin = month + datetime.timedelta(days=rng.randrange(25), hours=rng.randrange(24))
            services.override_create(
                rotation=r,
                user=rng.choice(users),
                start=begin,
                end=begin + datetime.timedelta(hours=rng.choice((4, 12, 30))),
            )
        month += datetime.timedelta(days=30)
    caches.clear_all()


def instants(first: datetime.date, last: datetime.date, count: int, seed: int = 7) -> list:
    """Return ``count`` random instants (whole minutes) between two dates."""
    rng = random.Random(seed)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()), datetime.UTC)
    minutes = int((last - first).total_seconds() // 60)
    return [start + datetime.timedelta(minutes=rng.randrange(minutes)) for _ in range(count)]


def _client() -> Client:
    user, _ = User.objects.get_or_create(username="at-bench-reader")
    client = Client()
    client.force_login(user)
    return client


def _runs(bench: Bench, org: dict, *, years: int, count: int) -> dict:
    """Fill the org with ``years`` of rota; return {figure: (fn, inputs)} to measure on it."""
    today = timezone.now().date()
    half = datetime.timedelta(days=round(365.25 * years / 2))
    first, last = today - half, today + half
    started = time.perf_counter()
    ids = [r.pk for r in org["rotations"]]
    fill(org, first=first, last=last)
    bench.note(
        f"{years} years: {Shift.objects.filter(rotation_id__in=ids).count():,} shifts, "
        f"{Override.objects.filter(rotation_id__in=ids).count():,} overrides, built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    component = org["components"][1].slug
    client = _client()
    ats = instants(first + datetime.timedelta(days=7), last - datetime.timedelta(days=7), count)
    # A sweep: every 15 minutes over three days from a random instant, as a report or a bot
    # walking a calendar asks; answers kept by their span serve the instants inside it.
    sweep_start = ats[0].replace(minute=0)
    sweep = [sweep_start + n * datetime.timedelta(minutes=15) for n in range(count)]

    def api(at):
        return client.get("/api/v1/oncall/", {"component": component, "at": at.isoformat()})

    def cold(at):
        caches.clear_all()
        return api(at)

    def now(_):
        return client.get("/api/v1/oncall/", {"component": component})

    return {
        "selector now": (lambda _: responders(component=component), [None] * count),
        "selector at": (lambda at: responders(component=component, at=at), ats),
        "API now": (now, [None] * count),
        "API at": (api, ats),
        "API at, caches emptied": (cold, ats),
        "caches emptied alone": (lambda _: caches.clear_all(), [None] * count),
        "API at, sweep": (api, sweep),
        "selector at, sweep": (lambda at: responders_at(component=component, at=at), sweep),
    }


@group("oncall-at", 'on-call lookups at any instant vs "now", over 2 and 10 years of rota')
def bench_oncall_at(bench: Bench) -> None:
    # Two organisations side by side, one with 2 years of rota and one with 10; each figure is
    # measured on both in turns, so that a change in the machine's load does not pass for a
    # difference of data.
    runs = {
        years: _runs(bench, build_org(prefix=f"y{years}"), years=years, count=300)
        for years in (2, 10)
    }
    figures = {2: {}, 10: {}}
    rounds = 10
    for name in runs[2]:
        caches.clear_all()  # each figure starts from empty caches; sweeps warm up on none
        spent = {2: 0.0, 10: 0.0}
        for years in (2, 10):
            fn, inputs = runs[years][name]
            if "sweep" not in name:
                for item in inputs[:10]:
                    fn(item)
        # In turns, a tenth of the calls at a time, each in order.
        for turn in range(rounds):
            for years in (2, 10):
                fn, inputs = runs[years][name]
                size = len(inputs) // rounds
                chunk = inputs[turn * size : (turn + 1) * size]
                started = time.process_time()
                for item in chunk:
                    fn(item)
                spent[years] += time.process_time() - started
        for years in (2, 10):
            calls = len(runs[years][name][1]) // rounds * rounds
            figures[years][name] = spent[years] * 1000 / calls
    for years in (2, 10):
        cold = figures[years]
        cold["API at, caches emptied"] -= cold.pop("caches emptied alone")
        for name, value in cold.items():
            bench.note(f"{years} years: {name} {value:.2f} ms CPU per call")
    bench.note(
        "CPU ms per call (time.process_time), mean over 300 calls: the machine is shared, so "
        "CPU time and ratios within one run are the steady figures."
    )
    two, ten = figures[2], figures[10]
    checks = (
        ("selector at", "selector now", 'selector "at" vs "now" (random instants)'),
        ("API at", "API now", 'API "at" vs "now" (random instants)'),
        ("API at, caches emptied", "API now", 'API "at" vs "now" (random, caches emptied)'),
        ("API at, sweep", "API now", 'API "at" vs "now" (15-minute sweep)'),
        ("selector at, sweep", "selector now", "responders_at vs responders now (sweep)"),
    )
    for value, reference, name in checks:
        bench.target(
            f"{name}, 10 years",
            ten[value],
            unit="ms",
            limit=2,
            reference=f"{reference}, 10 years",
            reference_value=ten[reference],
        )
    for value in ("selector at", "API at", "API at, sweep"):
        bench.target(
            f"{value}, 10 years vs 2 years",
            ten[value],
            unit="ms",
            limit=1.2,
            reference="2 years",
            reference_value=two[value],
        )
    client = _client()
    component = "y10-shared"
    # Distinct instants, so that the table's wall times are of answers computed, not kept.
    span = (datetime.date(2022, 1, 1), datetime.date(2030, 1, 1))
    ats = [at.isoformat() for at in instants(*span, 310, seed=11)]
    bench.measure(
        "GET /api/v1/oncall/?component=&at= (10 years, random instants)",
        lambda at: client.get("/api/v1/oncall/", {"component": component, "at": at}),
        inputs=ats,
        repeat=300,
        warmup=10,
    )
