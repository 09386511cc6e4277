"""The rota: generating shifts, answering "who is on call" over a big rota, calendar feeds."""

import datetime
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import caches
from ownership import services as ownership_services
from ownership.models import Membership, Team
from rota import services
from rota.feeds import build_feed, feed_calendar
from rota.models import Rotation, RotationParticipant, Shift
from rota.routing import responders
from rota.selectors.feeds import feed_build, feed_state
from rota.services.feeds import feed_token_get_or_create, feed_token_string

from .harness import Bench, group

User = get_user_model()


def _users(prefix: str, count: int) -> list:
    password = make_password(None)
    User.objects.bulk_create(
        [User(username=f"{prefix}{n:05d}", password=password) for n in range(count)],
        ignore_conflicts=True,
    )
    return list(User.objects.filter(username__startswith=prefix).order_by("username"))


def _client(username: str) -> Client:
    user, _ = User.objects.get_or_create(username=username)
    client = Client()
    client.force_login(user)
    return client


def _db_seconds(fn) -> tuple[float, int, object]:
    """Run fn with query logging on; return (seconds spent in the database, queries, result).

    The statements of the last call stay in ``_db_seconds.last`` (Django's query log rows).
    """
    was = connection.force_debug_cursor
    connection.force_debug_cursor = True
    reset_queries()
    try:
        result = fn()
        queries = list(connection.queries)
    finally:
        connection.force_debug_cursor = was
    _db_seconds.last = queries
    return sum(float(q["time"]) for q in queries), len(queries), result


@group("rota", "generating 50 rotations for 2 years; on-call lookups over 200,000 shifts")
def bench_rota(bench: Bench) -> None:
    today = timezone.now().date()
    team = ownership_services.team_create(name="Bench rota", slug="bench-rota")
    people = _users("rota-bench-", 300)

    until = today + datetime.timedelta(days=730)

    def weekly(label: str) -> list:
        """50 weekly rotations of 6 people each in four zones; the same for every label."""
        return [
            services.rotation_create(
                name=f"Weekly {label} {n}",
                kind="person",
                shift_length_unit="weeks",
                shift_length_count=1,
                handoff_time=datetime.time(9),
                timezone=random.Random(n).choice(
                    ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
                ),
                start_date=today,
                team=team,
                participants=people[(n * 6) % 300 : (n * 6) % 300 + 6],
            )
            for n in range(50)
        ]

    # One call per rotation, each its own transaction (the reference: the cost is round trips
    # and commits per rotation), then the batch over 50 rotations set up the same way.
    single = weekly("single")
    started, cpu = time.perf_counter(), time.process_time()
    db, queries, created = _db_seconds(
        lambda: sum(services.rotation_generate(rotation=r, until=until) for r in single)
    )
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    bench.note(
        f"generation, one call per rotation: 50 weekly rotations x 2 years = {created:,} shifts "
        f"in {total:.2f} s (CPU {cpu:.2f} s), of which {db:.3f} s in the database ({queries} "
        "queries)"
    )

    batch = weekly("batch")
    started, cpu = time.perf_counter(), time.process_time()
    db, queries, created = _db_seconds(
        lambda: sum(services.rotations_generate(rotations=batch, until=until).values())
    )
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    inserts = [q for q in _db_seconds.last if q["sql"].startswith('INSERT INTO "rota_shift"')]
    bench.note(
        f"generation, one batch: 50 weekly rotations x 2 years = {created:,} shifts in "
        f"{total:.2f} s (CPU {cpu:.2f} s), of which {db:.3f} s in the database ({queries} "
        f"queries, the {len(inserts)} INSERTs of the shifts "
        f"{sum(float(q['time']) for q in inserts):.3f} s; the database's time is what the "
        "client waits for a statement, so it grows with the load)"
    )
    bench.target("generation 50 rotations x 2 years, DB seconds", db, unit="s", limit=0.5)
    again, queries_again, created_again = _db_seconds(
        lambda: sum(services.rotations_generate(rotations=batch, until=until).values())
    )
    bench.note(
        f"generation batch again (nothing to do): {created_again} shifts, {again:.3f} s in the "
        f"database ({queries_again} queries)"
    )

    # A large rota: 200 daily rotations with 1,000 shifts each, bulk inserted.
    big_team = ownership_services.team_create(name="Bench on call", slug="bench-oncall")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=500)
    big = []
    for n in range(200):
        rotation = Rotation.objects.create(
            name=f"Daily {n}",
            kind="person",
            shift_length_unit="days",
            shift_length_count=1,
            handoff_time=datetime.time(9),
            timezone="UTC",
            start_date=start.date(),
            team=big_team if n < 2 else None,
            role="primary" if n % 2 == 0 else "secondary",
        )
        members = people[(n * 3) % 300 : (n * 3) % 300 + 3]
        RotationParticipant.objects.bulk_create(
            RotationParticipant(rotation=rotation, position=i, user=u)
            for i, u in enumerate(members)
        )
        Shift.objects.bulk_create(
            (
                Shift(
                    rotation=rotation,
                    start=start + datetime.timedelta(days=d),
                    end=start + datetime.timedelta(days=d + 1),
                    user=members[d % 3],
                    generated_user=members[d % 3],
                )
                for d in range(1000)
            ),
            batch_size=2000,
        )
        big.append(rotation)
    Membership.objects.bulk_create(
        [Membership(team=big_team, user=u, role="engineer") for u in people[:6]],
        ignore_conflicts=True,
    )
    component = ownership_services.component_create(
        name="Bench service", slug="bench-service", owner_team=big_team
    )
    bench.note(
        f"on-call data: {Shift.objects.count():,} shifts in {Rotation.objects.count()} rotations"
    )

    bench.measure(
        "responders(component) (selector)",
        lambda: responders(component=component),
        repeat=2000,
        warmup=100,
    )
    client = _client("rota-bench-reader")
    bench.measure(
        "GET /api/v1/oncall/?component=",
        lambda: client.get("/api/v1/oncall/", {"component": component.slug}),
        repeat=1000,
        warmup=50,
    )
    bench.measure(
        "GET /api/v1/oncall/?rotation=",
        lambda r: client.get("/api/v1/oncall/", {"rotation": r.pk}),
        inputs=big,
        repeat=1000,
        warmup=50,
    )
    bench.measure(
        "GET /api/v1/shifts/?rotation=&page_size=50",
        lambda r: client.get("/api/v1/shifts/", {"rotation": r.pk, "page_size": 50}),
        inputs=big,
        repeat=200,
        warmup=20,
    )
    bench.fixtures["rota_people"] = people
    bench.fixtures["rota_team"] = Team.objects.get(slug="bench-oncall")


@group("feeds", "a person's calendar feed over 2 years of daily shifts, and its 304 path")
def bench_feeds(bench: Bench) -> None:
    people = _users("feed-bench-", 2)
    team = ownership_services.team_create(name="Bench feeds", slug="bench-feeds")
    Membership.objects.bulk_create([Membership(team=team, user=u) for u in people])
    today = timezone.now().date()
    rotation = services.rotation_create(
        name="Daily feed",
        kind="person",
        shift_length_unit="days",
        shift_length_count=1,
        handoff_time=datetime.time(9),
        timezone="Europe/London",
        start_date=today - datetime.timedelta(days=90),
        team=team,
        participants=people,
    )
    now = timezone.now() - datetime.timedelta(days=91)
    services.rotation_generate(
        rotation=rotation, until=today + datetime.timedelta(days=640), now=now
    )
    person = people[0]
    token = feed_token_get_or_create(user=person)
    url = f"/calendar/{feed_token_string(token)}.ics"
    client = Client()
    time.sleep(1)  # Last-Modified is given once the second of the last change is over
    first = client.get(url)
    events = first.content.count(b"BEGIN:VEVENT")
    bench.note(f"feed: {events} events over 2 years for one person, {len(first.content):,} bytes")
    etag = first["ETag"]
    bench.measure(
        "GET feed, rendered (cache cleared)",
        lambda: client.get(url),
        repeat=30,
        warmup=3,
        prepare=cache.clear,
    )
    bench.measure("GET feed, from the cache", lambda: client.get(url), repeat=300, warmup=20)
    _feed_render_vs_icalendar(bench, token)
    bench.measure(
        "GET feed with If-None-Match (304)",
        lambda: client.get(url, HTTP_IF_NONE_MATCH=etag),
        repeat=1000,
        warmup=50,
    )
    with CaptureQueriesContext(connection) as captured:
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    bench.target(
        "GET feed with If-None-Match (304), queries",
        len(captured.captured_queries),
        unit="queries",
        limit=1,
    )
    modified = first["Last-Modified"]
    bench.measure(
        "GET feed with If-Modified-Since (304)",
        lambda: client.get(url, HTTP_IF_MODIFIED_SINCE=modified),
        repeat=1000,
        warmup=50,
    )
    bench.measure(
        "GET feed with If-None-Match (304), new process",
        lambda: client.get(url, HTTP_IF_NONE_MATCH=etag),
        repeat=100,
        warmup=5,
        prepare=_fresh_process,
    )


def _fresh_process() -> None:
    caches.clear_all()
    cache.clear()


def _cpu_pair_ms(fn, reference, repeat: int, prepare=None) -> tuple[float, float]:
    """Median CPU times of ``fn`` and ``reference`` in milliseconds, measured in turns.

    CPU time counts this process only (no waiting), and taking the two in turns gives both
    the same share of a loaded machine. ``prepare`` runs untimed before each call of ``fn``.
    """
    times, reference_times = [], []
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
        started = time.process_time()
        reference()
        reference_times.append(time.process_time() - started)
    return statistics.median(times) * 1000, statistics.median(reference_times) * 1000


def _feed_render_vs_icalendar(bench: Bench, token) -> None:
    """Rendering a feed (rows to bytes) against icalendar serializing the same events."""

    def render():
        return build_feed(feed_build(state=feed_state(token=token)))

    feed = feed_build(state=feed_state(token=token))
    calendar = feed_calendar(feed)
    caches.clear_all()
    assert calendar.to_ical() == render() == render()  # the very same bytes, cold and warm
    rendered = bench.measure("feed render: rows to iCalendar bytes", render, repeat=20, warmup=2)
    cold = bench.measure(
        "feed render, first in a process (process caches cleared)",
        render,
        repeat=20,
        warmup=2,
        prepare=caches.clear_all,
    )
    serialized = bench.measure(
        "icalendar alone: to_ical() of the same Calendar", calendar.to_ical, repeat=20, warmup=2
    )
    built = bench.measure(
        "icalendar alone: build the same Calendar, to_ical()",
        lambda: feed_calendar(feed).to_ical(),
        repeat=20,
        warmup=2,
    )
    reference = "icalendar to_ical() of the same Calendar, CPU"
    cpu_cold, cpu_reference = _cpu_pair_ms(render, calendar.to_ical, 30, caches.clear_all)
    bench.target(
        "feed render, cold (first in a process), CPU",
        cpu_cold,
        unit="ms",
        limit=1.5,
        reference=reference,
        reference_value=cpu_reference,
    )
    cpu_warm, cpu_reference = _cpu_pair_ms(render, calendar.to_ical, 30)
    bench.target(
        "feed render, warm (events serialized before), CPU",
        cpu_warm,
        unit="ms",
        limit=1.5,
        reference=reference,
        reference_value=cpu_reference,
    )
    bench.note(
        f"feed render wall {rendered.median_ms:.0f} ms warm, {cold.median_ms:.0f} ms cold, vs "
        f"icalendar to_ical() {serialized.median_ms:.0f} ms, building and serializing the "
        f"Calendar {built.median_ms:.0f} ms; CPU (in turns with to_ical(), the steadier figure "
        f"on a loaded machine) {cpu_cold:.0f} ms cold, {cpu_warm:.0f} ms warm"
    )
