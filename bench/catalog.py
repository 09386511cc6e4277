"""A large synthetic organisation for the benchmarks, written with bulk inserts.

The catalog mirrors a monorepo: every component owns the directory of its place in the tree
under a top-level folder for its kind (``/services/area-003/sub-0061/svc-01234/``), so areas
own the directories their children sit in. Some components add a deploy or config glob, and
about one in ten a floating pattern that can match at any depth (``svc-01234.rules.yml``).
"""

import random
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from ownership import services
from ownership.models import Component, ComponentPath, Membership, Team

ROOTS = {"area": "services", "service": "services", "library": "libs", "website": "web"}
FILES = ("src/main.py", "api/handlers/orders.py", "README.md", "tests/test_api.py", "Makefile")


@dataclass
class Catalog:
    teams: list
    area_ids: list  # top-level areas, the one most components inherit from first
    area_followers: list  # how many components take their owner from each of those areas
    size: int
    patterns: int
    floating: int
    sample_paths: list
    timings: dict = field(default_factory=dict)  # step -> seconds


@dataclass
class _Node:
    slug: str
    kind: str
    parent: "_Node | None"
    owner: int | None  # index into the team list
    directory: str = ""
    patterns: list = field(default_factory=list)
    pk: int | None = None


def _shape(size: int, teams: int) -> list[int]:
    """Return how many components sit at each depth: few large areas, many leaves."""
    top = min(teams, max(size // 100, 1))
    level1 = max(size // 20, 1)
    level2 = max(size // 5, 1)
    return [top, level1, level2, max(size - top - level1 - level2, 0)]


def _plan(rng: random.Random, size: int, teams: int) -> list[list[_Node]]:
    levels: list[list[_Node]] = []
    counter = 0
    for depth, count in enumerate(_shape(size, teams)):
        containers = [n for level in levels for n in level if n.kind == "area"]
        if depth:
            # The deepest level hangs off the areas of the two levels above it.
            containers = [n for n in containers if depth - 2 <= _depth(n) < depth]
        nodes = []
        for i in range(count):
            counter += 1
            if depth == 0:
                kind, parent, owner = "area", None, i % teams
            else:
                kind = "area" if depth < 3 and rng.random() < 0.25 else _leaf_kind(rng)
                parent = rng.choice(containers)
                # Most components inherit; a quarter are owned by a team of their own.
                owner = rng.randrange(teams) if rng.random() < 0.25 else None
            prefix = {"area": "area", "service": "svc", "library": "lib", "website": "web"}[kind]
            slug = f"{prefix}-{counter:05d}"
            nodes.append(_Node(slug=slug, kind=kind, parent=parent, owner=owner))
        levels.append(nodes)
    return levels


def _depth(node: _Node) -> int:
    depth = 0
    while node.parent is not None:
        node, depth = node.parent, depth + 1
    return depth


def _leaf_kind(rng: random.Random) -> str:
    roll = rng.random()
    return "service" if roll < 0.7 else "library" if roll < 0.92 else "website"


def _assign_paths(rng: random.Random, node: _Node) -> None:
    chain = []
    walk = node
    while walk is not None:
        chain.append(walk.slug)
        walk = walk.parent
    node.directory = f"/{ROOTS[node.kind]}/{'/'.join(reversed(chain))}/"
    node.patterns = [node.directory]
    if rng.random() < 0.5:
        slug = node.slug
        extra = (f"/deploy/{slug}/**/values.yaml", f"/config/{slug}/*.yaml", f"/docs/{slug}/")
        node.patterns.append(rng.choice(extra))
    if node.kind != "area" and rng.random() < 0.1:
        node.patterns.append(
            rng.choice((f"{node.slug}.rules.yml", f"*.{node.slug}.proto", f"{node.slug}-*.sql"))
        )


def _sample_path(rng: random.Random, node: _Node) -> str:
    """Return a file path that one of the node's patterns (or a deeper one) matches."""
    pattern = rng.choice(node.patterns)
    if pattern.endswith("/"):
        return pattern.lstrip("/") + rng.choice(FILES)
    if pattern.endswith("values.yaml"):
        return f"deploy/{node.slug}/prod/eu-west-1/values.yaml"
    if pattern.endswith("*.yaml"):
        return f"config/{node.slug}/app.yaml"
    if pattern.endswith(".rules.yml"):
        return f"infra/alerts/{pattern}"
    if pattern.endswith(".proto"):
        return f"proto/orders/v2/{pattern.replace('*', 'orders')}"
    return f"db/migrations/{pattern.replace('*', '0042_add_index')}"


def build_catalog(*, size: int = 5000, teams: int = 50, seed: int = 1, samples: int = 200):
    """Write ``teams`` teams of six and a catalog of ``size`` components; return what was made."""
    rng = random.Random(seed)
    timings = {}
    start = time.perf_counter()

    team_rows = Team.objects.bulk_create(
        Team(
            name=f"Team {i:02d}",
            slug=f"team-{i:02d}",
            email=f"team-{i:02d}@example.com",
            chat_channel=f"#team-{i:02d}",
            timezone=rng.choice(("Europe/London", "Europe/Berlin", "America/New_York")),
        )
        for i in range(teams)
    )
    User = get_user_model()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"person{i:04d}", email=f"person{i:04d}@example.com", password=unusable)
        for i in range(teams * 6)
    )
    roles = ["manager", "lead", "engineer", "engineer", "engineer", "engineer"]
    Membership.objects.bulk_create(
        Membership(team=team_rows[i // 6], user=user, role=roles[i % 6])
        for i, user in enumerate(users)
    )

    levels = _plan(rng, size, teams)
    for level in levels:
        for node in level:
            _assign_paths(rng, node)
        rows = Component.objects.bulk_create(
            (
                Component(
                    name=node.slug.replace("-", " ").title(),
                    slug=node.slug,
                    kind=node.kind,
                    parent_id=node.parent.pk if node.parent else None,
                    owner_team=team_rows[node.owner] if node.owner is not None else None,
                    tier=rng.randint(1, 4),
                    repository_url=f"https://git.example.com/acme/platform{node.directory}",
                )
                for node in level
            ),
            batch_size=500,
        )
        for node, row in zip(level, rows, strict=True):
            node.pk = row.pk
    nodes = [node for level in levels for node in level]
    ComponentPath.objects.bulk_create(
        (ComponentPath(component_id=n.pk, pattern=p) for n in nodes for p in n.patterns),
        batch_size=1000,
    )
    timings["bulk insert"] = time.perf_counter() - start

    start = time.perf_counter()
    services.ownership_recompute(note="bench catalog")
    timings["initial ownership_recompute"] = time.perf_counter() - start

    # How many components take their owner from each top-level area, the area included.
    followers = {node.slug: 0 for node in levels[0]}
    for node in nodes:
        walk = node
        while walk.owner is None:
            walk = walk.parent
        if walk.parent is None:
            followers[walk.slug] += 1
    areas = sorted(levels[0], key=lambda n: -followers[n.slug])

    leaves = [n for n in nodes if n.kind != "area"]
    sample_paths = [_sample_path(rng, rng.choice(leaves)) for _ in range(samples * 9 // 10)]
    # One lookup in ten asks about a file nobody claims.
    sample_paths += [f"unclaimed/{i}/notes.txt" for i in range(samples - len(sample_paths))]
    rng.shuffle(sample_paths)

    all_patterns = [p for n in nodes for p in n.patterns]
    return Catalog(
        teams=team_rows,
        area_ids=[n.pk for n in areas],
        area_followers=[followers[n.slug] for n in areas],
        size=len(nodes),
        patterns=len(all_patterns),
        floating=sum(1 for p in all_patterns if "/" not in p),
        sample_paths=sample_paths,
        timings=timings,
    )


def shared_catalog(bench):
    """Build the catalog once per run, note what it holds, and share it between groups."""
    if "catalog" not in bench.fixtures:
        made = build_catalog(size=bench.fixtures.get("catalog_size", 5000))
        bench.fixtures["catalog"] = made
        bench.note(
            f"catalog: {made.size:,} components, {len(made.teams)} teams, "
            f"{made.patterns:,} path globs ({made.floating} floating)"
        )
        for step, seconds in made.timings.items():
            bench.note(f"{step}: {seconds * 1000:,.0f} ms")
    return bench.fixtures["catalog"]
