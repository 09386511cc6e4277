import pytest
import yaml

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/sprint-calendars/",
    "/api/v1/rotations/",
    "/api/v1/shifts/",
    "/api/v1/overrides/",
    "/api/v1/swaps/",
    "/api/v1/unavailability/",
    "/api/v1/support-policies/",
]


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_callers_are_refused(api_client, url):
    assert api_client.get(url).status_code == 401
    assert api_client.post(url, {}).status_code == 401


@pytest.mark.parametrize("url", LISTS)
def test_every_signed_in_user_reads_a_paginated_list(user_client, url):
    body = user_client.get(url).json()
    assert set(body) >= {"count", "next", "previous", "results"}


def test_the_api_root_lists_the_rota_resources(user_client):
    body = user_client.get("/api/v1/").json()
    for name in ("sprint-calendars", "rotations", "shifts", "overrides", "swaps"):
        assert name in body
    assert "unavailability" in body and "support-policies" in body


def test_the_schema_documents_the_rota_endpoints(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in [
        "/api/v1/rotations/{id}/generate/",
        "/api/v1/swaps/{id}/take/",
        "/api/v1/unavailability/import/",
        "/api/v1/sprint-calendars/{id}/sprints/",
        "/api/v1/oncall/",
    ]:
        assert path in schema["paths"]
