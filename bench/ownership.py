"""Ownership: path lookups (selector and API), the component list, and recomputing owners."""

from django.contrib.auth import get_user_model
from django.test import Client

from ownership import selectors, services
from ownership.models import Component

from .catalog import shared_catalog
from .harness import Bench, group


def signed_in_client() -> Client:
    """Return a test client with a real session, as a browser or the portal pages would use."""
    user, _ = get_user_model().objects.get_or_create(username="bench-reader")
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(user)
    return client


def _expect(response, *statuses):
    if response.status_code not in statuses:
        raise AssertionError(f"{response.status_code}: {response.content[:300]!r}")
    return response


@group("ownership", "who owns a code path; the component list; recomputing effective owners")
def bench_ownership(bench: Bench) -> None:
    made = shared_catalog(bench)
    paths = made.sample_paths
    hits = sum(1 for p in paths if selectors.ownership_for_path(path=p) is not None)
    bench.note(f"sample: {len(paths)} paths, {hits} owned by a component")

    def cold_start():
        # A new process: nothing compiled, nothing cached.
        selectors.path_lookup_cache.clear()

    def after_edit():
        # Another process changed the catalog: answers are dropped, compiled globs are kept.
        selectors.path_lookup_cache.version = None

    bench.measure(
        "ownership_for_path, first in a new process",
        lambda path: selectors.ownership_for_path(path=path),
        inputs=paths,
        repeat=5,
        warmup=1,
        prepare=cold_start,
        count_queries=1,
    )
    bench.measure(
        "ownership_for_path, first after a catalog change",
        lambda path: selectors.ownership_for_path(path=path),
        inputs=paths,
        repeat=20,
        warmup=1,
        prepare=after_edit,
        count_queries=1,
    )
    # The lookup's parts, to see where its time goes as the catalog grows.
    bench.measure(
        "  catalog version check (query)",
        selectors.catalog_version,
        repeat=1000,
        warmup=50,
        count_queries=1,
    )
    index = selectors.path_lookup_cache.index_for(selectors.catalog_version())
    bench.measure(
        "  PathIndex.best_match (in memory)",
        index.best_match,
        inputs=paths,
        repeat=2000,
        warmup=200,
        count_queries=1,
    )
    bench.measure(
        "ownership_for_path (selector)",
        lambda path: selectors.ownership_for_path(path=path),
        inputs=paths,
        repeat=2000,
        warmup=200,
    )

    client = signed_in_client()
    bench.measure(
        "GET /api/v1/ownership/?path=",
        lambda path: _expect(client.get("/api/v1/ownership/", {"path": path}), 200, 404),
        inputs=paths,
        repeat=1000,
        warmup=100,
    )
    for size, repeat in ((50, 200), (500, 50)):
        bench.measure(
            f"GET /api/v1/components/?page_size={size}",
            lambda size=size: _expect(client.get("/api/v1/components/", {"page_size": size}), 200),
            repeat=repeat,
            warmup=3,
            count_queries=2,
        )
    bench.measure(
        "GET /api/v1/teams/?page_size=50",
        lambda: _expect(client.get("/api/v1/teams/", {"page_size": 50}), 200),
        repeat=200,
        warmup=5,
        count_queries=2,
    )

    area = Component.objects.get(pk=made.area_ids[0])
    other = next(team for team in made.teams if team.pk != area.owner_team_id)
    owners = [area.owner_team, other]  # next_owner() hands over first, then back
    turn = {"n": 0}

    def next_owner():
        turn["n"] += 1
        return owners[turn["n"] % 2]

    def hand_over_area():
        # Change the owner behind the service's back so that only the recompute is timed.
        Component.objects.filter(pk=area.pk).update(owner_team=next_owner())

    hand_over_area()
    changed = services.ownership_recompute(note="bench", touched=[area.pk])
    bench.note(f"area {area.slug}: a new owner changes the effective owner of {changed} components")
    bench.measure(
        "ownership_recompute after an area changes owner",
        lambda: services.ownership_recompute(note="bench", touched=[area.pk]),
        repeat=20,
        warmup=1,
        prepare=hand_over_area,
        count_queries=2,
    )
    bench.measure(
        "component_update of an area's owner (end to end)",
        lambda: services.component_update(component=area, owner_team=next_owner()),
        repeat=20,
        warmup=1,
        # As in the admin, start from the component as stored, not from a stale copy.
        prepare=area.refresh_from_db,
        count_queries=2,
    )
    bench.measure(
        "ownership_recompute with nothing changed",
        lambda: services.ownership_recompute(note="bench"),
        repeat=10,
        warmup=1,
        count_queries=2,
    )
