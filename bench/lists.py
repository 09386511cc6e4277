"""Pages that list the rota at size: the admin's shift list and rotation preview, the Now board
and the shifts API, over 20,000 then 200,000 shifts (run by ``python bench/run.py lists``).

Every page is timed through Django's test client: the wall-clock median (the table), and the
server time held against the targets: this process's CPU time (time.process_time) plus, on
PostgreSQL, the time its queries took (on SQLite the database works in this process, inside
the CPU time). The machine is shared and loaded, so wall times are inflated by whatever else
runs (the CPU figure is the steady one). The query counts are exact, and must be the same at
20k and 200k shifts (and for 10 and 50 teams on the board): a count that grows with the rows
is the cost that does not show on a small database.
"""

import datetime
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries
from django.test import Client
from django.utils import timezone

from core import caches
from ownership.models import Membership, Team
from portal.demo.seed import managers_group_sync
from rota.models import Rotation, RotationParticipant, Shift, SupportPolicy

from .harness import Bench, group

User = get_user_model()
DAY = datetime.timedelta(days=1)
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
ROTATIONS_PER_TEAM = 2
# 100 rotations of daily shifts: 200 days around today make 20,000 shifts, 2,000 days 200,000.
SMALL_DAYS, LARGE_DAYS = 200, 2000


def _teams(first: int, count: int, password: str) -> list[Rotation]:
    """Create teams ``first``..``first + count - 1``, each with 3 people, 2 daily rotations
    and a dedicated support policy; return the rotations (no shifts yet)."""
    rotations = []
    for n in range(first, first + count):
        team = Team.objects.create(name=f"List team {n:02d}", slug=f"list-team-{n:02d}")
        people = User.objects.bulk_create(
            [
                User(
                    username=f"list-{n:02d}-{i}",
                    first_name=f"P{i}",
                    last_name=f"T{n}",
                    password=password,
                )
                for i in range(3)
            ]
        )
        people = list(User.objects.filter(username__startswith=f"list-{n:02d}-"))
        Membership.objects.bulk_create([Membership(team=team, user=u) for u in people])
        for r in range(ROTATIONS_PER_TEAM):
            rotation = Rotation.objects.create(
                name=f"List {n:02d}.{r}",
                kind="person",
                shift_length_unit="days",
                shift_length_count=1,
                handoff_time=datetime.time(9),
                timezone=ZONES[(n + r) % len(ZONES)],
                start_date=datetime.date(2020, 1, 1),
                team=team,
            )
            RotationParticipant.objects.bulk_create(
                RotationParticipant(rotation=rotation, position=i, user=u)
                for i, u in enumerate(people)
            )
            rotations.append(rotation)
        SupportPolicy.objects.create(
            name=f"List policy {n:02d}", model="dedicated", dedicated_team=team
        )
    return rotations


def _shifts(rotations: list[Rotation], days: range, origin: datetime.datetime) -> int:
    """Bulk insert one daily shift per rotation for each day offset in ``days``."""
    people = {}
    for p in RotationParticipant.objects.filter(rotation__in=rotations).order_by("position"):
        people.setdefault(p.rotation_id, []).append(p.user_id)
    rows = []
    for rotation in rotations:
        turn = people[rotation.pk]
        for d in days:
            user = turn[d % len(turn)]
            rows.append(
                Shift(
                    rotation_id=rotation.pk,
                    start=origin + d * DAY,
                    end=origin + (d + 1) * DAY,
                    user_id=user,
                    generated_user_id=user,
                )
            )
    Shift.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cold() -> None:
    # Every request as the first after a change: no process cache answers for the database.
    caches.clear_all()


def server_ms(call, *, repeat: int) -> float:
    """Return the median server time of ``call`` in ms: CPU of this process, plus the time of
    its queries when the database is another process (PostgreSQL)."""
    outside = connection.vendor != "sqlite"
    times = []
    for _ in range(repeat):
        _cold()
        was = connection.force_debug_cursor
        connection.force_debug_cursor = outside
        reset_queries()
        try:
            started = time.process_time()
            call()
            cpu = time.process_time() - started
            db = sum(float(q["time"]) for q in connection.queries) if outside else 0.0
        finally:
            connection.force_debug_cursor = was
        times.append((cpu + db) * 1000)
    return statistics.median(times)


def _pages(bench: Bench, size: str, clients: dict, rotation: Rotation, person) -> dict:
    """Measure each page once over the current data; return {name: Result}."""
    superuser, manager, api = clients["superuser"], clients["manager"], clients["api"]
    after = (timezone.now() - 30 * DAY).isoformat()
    pages = {
        "admin shift list, superuser": (superuser, "/admin/rota/shift/", {}),
        "admin shift list, manager": (manager, "/admin/rota/shift/", {}),
        "admin shift list past, superuser": (superuser, "/admin/rota/shift/", {"when": "past"}),
        "admin rotation page + preview": (
            superuser,
            f"/admin/rota/rotation/{rotation.pk}/change/",
            {},
        ),
        "API shifts page": (api, "/api/v1/shifts/", {"page_size": 50}),
        "API shifts ?rotation=": (
            api,
            "/api/v1/shifts/",
            {"page_size": 50, "rotation": rotation.pk},
        ),
        "API shifts ?user=": (api, "/api/v1/shifts/", {"page_size": 50, "user": person.username}),
        "API shifts ?start_after=": (
            api,
            "/api/v1/shifts/",
            {"page_size": 50, "start_after": after},
        ),
    }
    results = {}
    for name, (client, path, params) in pages.items():
        response = client.get(path, params)
        assert response.status_code == 200, (name, response.status_code)
        fast = name.startswith("API")
        call = lambda c=client, p=path, q=params: c.get(p, q)  # noqa: E731
        result = bench.measure(
            f"{name} ({size})",
            call,
            repeat=40 if fast else 10,
            warmup=5 if fast else 2,
            count_queries=2,
            prepare=_cold,
        )
        result.server_ms = server_ms(call, repeat=40 if fast else 10)
        bench.note(f"{name} ({size}): server {result.server_ms:.1f} ms (CPU + queries)")
        results[name] = result
    return results


def _board(bench: Bench, label: str, client: Client):
    assert client.get("/").status_code == 200
    result = bench.measure(
        f"Now board, {label}",
        lambda: client.get("/"),
        repeat=10,
        warmup=2,
        count_queries=2,
        prepare=_cold,
    )
    result.server_ms = server_ms(lambda: client.get("/"), repeat=10)
    bench.note(f"Now board, {label}: server {result.server_ms:.1f} ms (CPU + queries)")
    return result


@group("lists", "admin shift list, rotation preview, Now board and shifts API at 200k shifts")
def bench_lists(bench: Bench) -> None:
    password = make_password(None)
    superuser = User.objects.create(
        username="list-root", is_staff=True, is_superuser=True, password=password
    )
    manager = User.objects.create(username="list-manager", is_staff=True, password=password)
    manager.groups.add(managers_group_sync())
    reader = User.objects.create(username="list-reader", password=password)
    clients = {"superuser": _client(superuser), "manager": _client(manager), "api": _client(reader)}

    origin = timezone.now().replace(minute=0, second=0, microsecond=0)
    rotations = _teams(0, 10, password)
    _shifts(rotations, range(-SMALL_DAYS // 2, SMALL_DAYS // 2), origin)
    board10 = _board(bench, "10 teams", clients["superuser"])

    rotations += _teams(10, 40, password)
    _shifts(rotations[20:], range(-SMALL_DAYS // 2, SMALL_DAYS // 2), origin)
    # The manager runs 2 of the 50 teams, so 4 rotations: 800 of 20,000 shifts.
    for team in Team.objects.filter(slug__in=["list-team-03", "list-team-07"]):
        Membership.objects.create(team=team, user=manager, role=Membership.Role.MANAGER)
    board50 = _board(bench, "50 teams", clients["superuser"])
    rotation = rotations[6]  # team 03's: the manager's
    person = User.objects.get(username="list-03-0")
    bench.note(f"small: {Shift.objects.count():,} shifts, {len(rotations)} rotations, 50 teams")
    small = _pages(bench, "20k", clients, rotation, person)

    started = timezone.now()
    added = _shifts(rotations, range(-LARGE_DAYS // 2, -SMALL_DAYS // 2), origin)
    added += _shifts(rotations, range(SMALL_DAYS // 2, LARGE_DAYS // 2), origin)
    seconds = (timezone.now() - started).total_seconds()
    if connection.vendor == "postgresql":
        # What autovacuum does after so many inserts: statistics for the planner and the
        # visibility map that lets counts read the index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE rota_shift")
    bench.note(f"large: +{added:,} shifts bulk inserted in {seconds:.1f} s")
    bench.note(f"large: {Shift.objects.count():,} shifts")
    large = _pages(bench, "200k", clients, rotation, person)
    board50_large = _board(bench, "50 teams (200k)", clients["superuser"])

    same = [n for n in small if small[n].queries == large[n].queries]
    bench.note(
        "queries equal at 20k and 200k shifts: "
        + ", ".join(f"{n} {small[n].queries}/{large[n].queries}" for n in small)
        + f" ({len(same)} of {len(small)} equal)"
    )
    bench.note(
        f"Now board queries: 10 teams {board10.queries}, 50 teams {board50.queries}, "
        f"50 teams at 200k {board50_large.queries}"
    )
    bench.note(
        "targets hold the server time (CPU + queries); wall medians in the table are "
        "inflated by other load on this shared 2-CPU machine"
    )
    limits = {
        "admin shift list, superuser": 300,
        "admin shift list, manager": 300,
        "admin rotation page + preview": 300,
        "API shifts page": 20,
        "API shifts ?rotation=": 20,
        "API shifts ?user=": 20,
        "API shifts ?start_after=": 20,
    }
    for name, limit in limits.items():
        bench.target(f"{name}, 200k shifts", large[name].server_ms, unit="ms", limit=limit)
    bench.target("Now board, 50 teams, 200k shifts", board50_large.server_ms, unit="ms", limit=300)
