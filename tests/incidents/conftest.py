import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Start every test with empty rate-limit counters (ids repeat across tests)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def incidents_api_urls(settings):
    """Serve the incidents API in tests even before portal.api registers it."""
    try:
        reverse("incident-list")
        reverse("alert-webhook", kwargs={"token": "x"})
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.incidents.urls"


@pytest.fixture
def send_pages(monkeypatch):
    """Deliver pages in-process (on commit) instead of through a broker."""
    from incidents import tasks

    monkeypatch.setattr(tasks, "publish_page", tasks.deliver_page)
