"""seed_demo on an empty database, and its refusals: each test starts from an empty database
(the demo seeded once for many tests is in test_seed_demo)."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError
from django.db import transaction

from ownership.models import Component, OwnershipPeriod, Team
from portal.demo.seed import DEMO_PASSWORD, seed_all
from tests.ownership.factories import TeamFactory
from tests.portal.test_seed_demo import authenticate, seed

User = get_user_model()


def test_if_empty_seeds_an_empty_database(db):
    seed("--if-empty")
    assert Team.objects.count() >= 7


def test_refuses_a_database_that_already_holds_a_team(db):
    TeamFactory()
    with pytest.raises(CommandError, match="not empty"):
        seed()
    assert Component.objects.count() == 0
    assert not User.objects.filter(username="admin").exists()


def test_refuses_when_a_demo_username_is_taken(db):
    User.objects.create_user(username="admin", password="something-else-123")
    with pytest.raises(CommandError, match="admin"):
        seed()
    assert Team.objects.count() == 0
    assert authenticate(username="admin", password=DEMO_PASSWORD) is None


def test_loads_the_same_organisation_every_time(db):
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    histories = []
    for _ in range(2):
        with transaction.atomic():
            seed_all(now=now)
            histories.append(
                sorted(
                    OwnershipPeriod.objects.values_list(
                        "component__slug", "team__slug", "valid_from", "valid_to"
                    ),
                    key=str,
                )
            )
            transaction.set_rollback(True)
    assert histories[0] == histories[1]
    # A re-org leaves components with more than one period; make sure there was one to compare.
    assert len({component for component, *_ in histories[0]}) < len(histories[0])
