"""Benchmarks of the history importers, run by ``make bench`` (bench/run.py).

Two years of PagerDuty history for an organisation of 40 people (4 teams of 10, 20
services): a 10,000-row incidents CSV imported from scratch, imported again (every row
unchanged) and dry-run.
"""

import csv
import datetime
import io
import random

from importers import registry
from importers.base import execute
from incidents.models import Incident
from ownership import services as ownership
from ownership.models import Membership

from .harness import Bench, group

ROWS = 10_000
TEAMS, PEOPLE_PER_TEAM, SERVICES = 4, 10, 20
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
DAYS = 730


def pagerduty_csv(rows: int = ROWS, seed: int = 7) -> bytes:
    """Return a PagerDuty incidents CSV of ``rows`` incidents over two years (deterministic)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "incident_number", "description", "status", "urgency", "priority",
         "service_name", "created_on", "acknowledged_at", "resolved_on"]
    )  # fmt: skip
    for n in range(rows):
        created = START + datetime.timedelta(seconds=rng.randrange(DAYS * 86400))
        acked = created + datetime.timedelta(minutes=rng.randint(1, 30))
        resolved = acked + datetime.timedelta(minutes=rng.randint(5, 600))
        writer.writerow(
            [
                f"Q{n:07d}",
                n + 1,
                f"Alert {n}: error rate above threshold",
                "resolved",
                rng.choice(("high", "low")),
                rng.choice(("P1", "P2", "P3", "P4", "", "")),
                f"Service {rng.randrange(SERVICES)}",
                created.isoformat(),
                acked.isoformat(),
                resolved.isoformat(),
            ]
        )
    return out.getvalue().encode()


def _organisation() -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for t in range(TEAMS):
        team = ownership.team_create(name=f"Import team {t}", slug=f"import-team-{t}")
        for p in range(PEOPLE_PER_TEAM):
            user = users.create_user(f"importer-{t}-{p}", f"importer-{t}-{p}@example.com")
            Membership.objects.create(team=team, user=user, role=Membership.Role.ENGINEER)
        for s in range(t, SERVICES, TEAMS):
            ownership.component_create(
                name=f"Service {s}", slug=f"import-service-{s}", owner_team=team, at=START
            )


@group("importers", "import 2 years of PagerDuty history for 40 people (10,000 incidents)")
def run(bench: Bench) -> None:
    _organisation()
    data = pagerduty_csv()
    info = registry.get("pagerduty-incidents")

    def load(dry_run=False):
        report = execute(info.run, data, source=info.name, dry_run=dry_run)
        assert not report.problems, report.problems[:3]
        return report

    def clear():
        Incident.objects.filter(source="pagerduty").delete()

    bench.note(f"PagerDuty CSV of {ROWS:,} rows: {len(data) / 1024:,.0f} KiB")
    bench.measure(
        f"import {ROWS:,} incidents (new)",
        load,
        repeat=3,
        warmup=0,
        prepare=clear,
        count_queries=1,
    )
    load()
    bench.measure(
        f"import {ROWS:,} incidents again (all unchanged)", load, repeat=3, warmup=0,
        count_queries=1,
    )  # fmt: skip
    bench.measure(
        f"dry run of {ROWS:,} incidents (nothing written)",
        lambda: load(dry_run=True),
        repeat=3,
        warmup=0,
        prepare=clear,
        count_queries=1,
    )
