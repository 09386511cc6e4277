import pytest
from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    rates = {"user": "3/minute", "anon": "2/minute"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_authenticated_callers_are_throttled_with_429(user_client, low_rates):
    codes = [user_client.get("/api/v1/teams/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = user_client.get("/api/v1/teams/")
    assert "Retry-After" in response


def test_anonymous_callers_have_their_own_lower_limit(api_client, low_rates):
    # The schema is the API's one page open to anonymous callers.
    codes = [api_client.get("/api/schema/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
