import os

import pytest
import redis
from rest_framework.test import APIClient

from core import caches
from tests.ownership.factories import MembershipFactory, UserFactory, rota_admin


@pytest.fixture(autouse=True)
def empty_process_caches():
    """Start and end every test with empty process caches: ids and slugs repeat across tests."""
    caches.clear_all()
    yield
    caches.clear_all()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    """A rota admin: staff who change every team's things (see core.permissions)."""
    return rota_admin()


@pytest.fixture
def user_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff_client(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def make_client():
    """Return an API client signed in as the given user."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def manager_of():
    """Return a new user who manages the given team."""

    def make(team):
        return MembershipFactory(team=team, role="manager").user

    return make


@pytest.fixture(scope="session")
def redis_url():
    """The Redis database the Celery integration tests use as their broker."""
    url = os.environ.get("ROTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        pytest.fail(f"These tests need Redis at {url} (.ci/run starts it): {exc}")
    return url


def pytest_collection_modifyitems(config, items):
    """Deselect the tests of the other database: ``postgresql`` ones on SQLite, ``sqlite``
    ones on PostgreSQL (CI runs the suite on both, so each runs once)."""
    from django.conf import settings

    other = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "postgresql"
    )
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker(other) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
