import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Start every test with empty rate-limit counters (ids repeat across tests)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def send_pages(monkeypatch):
    """Deliver pages in-process (on commit) instead of through a broker."""
    from incidents import queue, tasks

    monkeypatch.setattr(queue, "publish_page", tasks.deliver_page)
