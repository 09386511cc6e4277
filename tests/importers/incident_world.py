"""The organisation the incident history samples are imported into, and how to import."""

import datetime
from pathlib import Path

import pytest

from importers import registry
from importers.base import execute
from ownership import services
from tests.ownership.factories import TeamFactory

SAMPLES = Path(__file__).parent / "samples"
UTC = datetime.UTC
CATALOG_START = datetime.datetime(2026, 1, 1, tzinfo=UTC)
REORG = datetime.datetime(2026, 3, 1, tzinfo=UTC)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture(name="world")
def world_fixture(db):
    """Three teams and three components; search-api moved from platform to search on 1 March.

    checkout (name "Checkout") and ledger ("Ledger") belong to payments throughout.
    """
    payments = TeamFactory(slug="payments", name="Payments")
    platform = TeamFactory(slug="platform", name="Platform")
    search = TeamFactory(slug="search", name="Search")
    checkout = services.component_create(
        name="Checkout", slug="checkout", owner_team=payments, at=CATALOG_START
    )
    ledger = services.component_create(
        name="Ledger", slug="ledger", owner_team=payments, at=CATALOG_START
    )
    search_api = services.component_create(
        name="Search backend", slug="search-api", owner_team=platform, at=CATALOG_START
    )
    services.component_update(component=search_api, owner_team=search, at=REORG)
    return {
        "payments": payments,
        "platform": platform,
        "search": search,
        "checkout": checkout,
        "ledger": ledger,
        "search-api": search_api,
    }


def run_import(name: str, data: bytes, *, mapping=None, dry_run=False):
    """Run importer ``name`` over ``data`` as the command line and the admin do."""
    info = registry.get(name)
    return execute(info.run, data, source=name, options={"mapping": mapping or {}}, dry_run=dry_run)
