#!/usr/bin/env python
"""Measure Rota's hot paths on a throwaway database: ``python bench/run.py [GROUP ...]``.

Runs outside the test suite with the test settings (DEBUG off). The database is always one
this run creates and drops: a SQLite file in a temporary directory, or, when DATABASE_URL
names a database server, a new database named after the configured one plus ``_bench``.
"""

import argparse
import importlib
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each module registers its groups with @group when imported; add new benchmark modules here.
GROUP_MODULES = [
    "bench.ownership",
    "bench.rota",
    "bench.oncall_at",
    "bench.notifications",
    "bench.incidents",
    "bench.reports",
    "bench.importers",
    "bench.api",
    "bench.lists",
    "bench.hotpath",
]
SUFFIX = "_bench"


def configure(tmpdir: str) -> None:
    """Point Django at the test settings and at a database of this run's own, then set it up."""
    # Run as a script, the bench folder comes first on sys.path, where bench/ownership.py would
    # hide the ownership app; the project root must come first instead.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(here)]
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        # Never the developer's db.sqlite3: a file that disappears with the temporary directory.
        os.environ["DATABASE_URL"] = f"sqlite:///{tmpdir}/bench.sqlite3"

    import django

    django.setup()


def create_database() -> str:
    """Create and migrate the benchmark database; return the configured name to restore."""
    from django.db import connection

    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        # configure() pointed the connection at a file in a fresh temporary directory.
        if not Path(original).parent.name.startswith("rota-bench-"):
            raise SystemExit(f"Refusing to benchmark on {original}: not a file of the bench's own.")
        name = original
    else:
        name = f"{original}{SUFFIX}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    # Django's test database machinery creates the database (dropping a stale one of the same
    # name left by an interrupted run) and migrates it.
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return original


def drop_database(original: str) -> None:
    from django.db import connection

    connection.creation.destroy_test_db(original, verbosity=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help="groups to run (default: all)")
    parser.add_argument(
        "--components", type=int, default=5000, help="size of the synthetic catalog"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rota-bench-") as tmpdir:
        configure(tmpdir)
        import django
        from django.db import connection

        from bench.harness import GROUPS, Bench, table, targets_table

        for module in GROUP_MODULES:
            importlib.import_module(module)
        selected = args.groups or list(GROUPS)
        unknown = [name for name in selected if name not in GROUPS]
        if unknown:
            parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
        # Lookups of unclaimed paths answer 404 on purpose; do not log each one.
        logging.getLogger("django.request").setLevel(logging.ERROR)

        original = create_database()
        print(
            f"Rota benchmarks: Python {platform.python_version()}, Django {django.get_version()}, "
            f"{connection.vendor} {connection.settings_dict['NAME']}, {os.cpu_count()} CPUs",
            flush=True,
        )
        fixtures = {"catalog_size": args.components}
        benches = []
        try:
            for name in selected:
                print(f"\n[{name}] {GROUPS[name].description}", flush=True)
                bench = Bench(group=name, fixtures=fixtures)
                GROUPS[name].run(bench)
                benches.append(bench)
        finally:
            connection.close()
            drop_database(original)

    print()
    print(table([result for bench in benches for result in bench.results]))
    for bench in benches:
        for text in bench.notes:
            print(f"  {bench.group}: {text}")
    targets = [target for bench in benches for target in bench.targets]
    if targets:
        print("\nTargets: each figure beside its reference, measured in this run")
        print(targets_table(targets))
    print(f"\nTotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
