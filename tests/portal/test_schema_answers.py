"""Real answers of key endpoints validate against the OpenAPI schema served at /api/schema/.

A fast guard for the normal suite (``make schemathesis`` explores every operation): each test
builds a small organisation, calls the API as a client would, and validates the JSON body
against the schema the same client would generate its types from, for the status answered.
"""

import jsonschema
import pytest
import yaml
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from core.exceptions import api_exception_handler
from incidents.models import Incident
from tests.incidents.factories import BugFactory, IncidentFactory
from tests.rota.factories import RotationFactory, SprintCalendarFactory

pytestmark = pytest.mark.django_db


def as_json_schema(node):
    """Translate OpenAPI 3.0's ``nullable: true`` into JSON Schema's ``null`` type."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture
def openapi(client):
    return yaml.safe_load(client.get("/api/schema/").content)


def assert_documented(openapi, method, path, response):
    """Assert ``response`` is a documented status of the operation, and its body fits."""
    responses = openapi["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (response.status_code, sorted(responses))
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    document = {**as_json_schema(schema), "components": as_json_schema(openapi["components"])}
    jsonschema.validate(
        response.json(), document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def property_of(openapi, component, name):
    return openapi["components"]["schemas"][component]["properties"][name]


def test_a_triggered_incident_with_null_relations_fits_the_schema(openapi, staff_client):
    # Nobody has acknowledged, mitigated or resolved a triggered incident, and it has no
    # secondary responder: those relations are null in the answer, which the schema allows.
    incident = IncidentFactory(secondary_responder=None, created_by=None)

    detail = staff_client.get(f"/api/v1/incidents/{incident.pk}/")
    listed = staff_client.get("/api/v1/incidents/")

    assert detail.status_code == 200
    body = detail.json()
    assert body["acknowledged_by"] is None and body["resolved_by"] is None
    assert body["secondary_responder"] is None and body["created_by"] is None
    assert_documented(openapi, "get", "/api/v1/incidents/{id}/", detail)
    assert_documented(openapi, "get", "/api/v1/incidents/", listed)
    assert listed.json()["results"][0]["acknowledged_by"] is None
    # Before, these read-only relations were typed as non-null strings.
    for name in ("acknowledged_by", "secondary_responder", "owning_team", "responding_team"):
        assert property_of(openapi, "IncidentDetail", name)["nullable"] is True


def test_an_undecided_bug_with_a_blank_outcome_and_url_fits_the_schema(openapi, staff_client):
    # A bug not yet decided answers outcome "" and story_url "": the enum lists "" (BlankEnum)
    # and the URL may be empty.
    bug = BugFactory()

    response = staff_client.get(f"/api/v1/bugs/{bug.pk}/")

    assert response.status_code == 200
    assert response.json()["outcome"] == "" and response.json()["story_url"] == ""
    assert response.json()["decided_by"] is None
    assert_documented(openapi, "get", "/api/v1/bugs/{id}/", response)
    assert {"$ref": "#/components/schemas/BlankEnum"} in property_of(openapi, "Bug", "outcome")[
        "oneOf"
    ]
    assert openapi["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_a_rotation_answers_times_of_day_as_the_schema_says(openapi, staff_client):
    # Handoff and business hours are local wall-clock times, "09:00": OpenAPI's "time" format
    # (RFC 3339, with seconds and an offset) would refuse them.
    rotation = RotationFactory()

    response = staff_client.get(f"/api/v1/rotations/{rotation.pk}/")

    assert response.status_code == 200
    assert response.json()["handoff_time"] == "09:00"
    assert_documented(openapi, "get", "/api/v1/rotations/{id}/", response)


def test_the_sprints_of_a_calendar_are_a_bare_list_as_documented(openapi, user_client):
    # Two-week sprints from Monday 2025-01-06: 01-06..01-19 and 01-20..02-02 overlap the range.
    calendar = SprintCalendarFactory(length_days=14, start_date="2025-01-06")

    response = user_client.get(
        f"/api/v1/sprint-calendars/{calendar.pk}/sprints/",
        {"from": "2025-01-06", "to": "2025-01-20"},
    )

    assert response.status_code == 200
    assert [sprint["start_date"] for sprint in response.json()] == ["2025-01-06", "2025-01-20"]
    assert_documented(openapi, "get", "/api/v1/sprint-calendars/{id}/sprints/", response)
    parameters = openapi["paths"]["/api/v1/sprint-calendars/{id}/sprints/"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"id", "from", "to"}


def test_error_answers_fit_the_shared_error_components(openapi, staff_client):
    resolved = IncidentFactory(status=Incident.Status.RESOLVED, resolved_at=timezone.now())

    unknown = staff_client.get("/api/v1/incidents/999999/")
    no_route = staff_client.get("/api/v1/incidents/0.5/")
    refused = staff_client.get("/api/v1/oncall/", {"component": "nope"})
    conflict = staff_client.post(f"/api/v1/incidents/{resolved.pk}/acknowledge/", {})
    anonymous = APIClient().get("/api/v1/incidents/")

    assert unknown.status_code == 404 and unknown.json() == {
        "detail": "No Incident matches the given query."
    }
    # A URL under /api/ that matches no route answers JSON too, not Django's HTML page.
    assert no_route.status_code == 404 and no_route.json() == {"detail": "Not found."}
    # Messages per field are always a list, as a serializer's errors are.
    assert refused.status_code == 400
    assert refused.json() == {"component": ["Unknown component 'nope'."]}
    assert conflict.status_code == 409 and set(conflict.json()) == {"detail"}
    assert anonymous.status_code == 401
    assert_documented(openapi, "get", "/api/v1/incidents/{id}/", unknown)
    assert_documented(openapi, "get", "/api/v1/incidents/{id}/", no_route)
    assert_documented(openapi, "get", "/api/v1/oncall/", refused)
    assert_documented(openapi, "post", "/api/v1/incidents/{id}/acknowledge/", conflict)
    assert_documented(openapi, "get", "/api/v1/incidents/", anonymous)


def test_every_operation_documents_its_error_answers(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            expected = {"401", "403", "404", "429"}
            if method in {"post", "put", "patch"}:
                expected |= {"400", "409", "415"}
            if method == "delete":
                expected |= {"409"}
            assert expected <= documented, (method, path, expected - documented)


@pytest.mark.parametrize(
    "raised, answered",
    [
        # Raised outside a serializer, DRF would answer a bare list and a bare string.
        (ValidationError("Pick one."), {"non_field_errors": ["Pick one."]}),
        (ValidationError({"component": "Unknown."}), {"component": ["Unknown."]}),
        (ValidationError({"a": ["x", "y"]}), {"a": ["x", "y"]}),
        (DjangoValidationError("Whole."), {"non_field_errors": ["Whole."]}),
        (
            DjangoValidationError({"__all__": ["Both."], "b": ["No."]}),
            {"non_field_errors": ["Both."], "b": ["No."]},
        ),
    ],
)
def test_every_refused_input_answers_lists_of_messages_per_field(raised, answered):
    response = api_exception_handler(raised, {})

    assert response.status_code == 400
    assert response.data == answered


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/api/v1/shifts/", "rotation"),
        ("/api/v1/overrides/", "rotation"),
        ("/api/v1/bugs/", "incident"),
    ],
)
def test_a_filter_by_a_number_too_large_for_the_database_answers_400(
    openapi, staff_client, path, parameter
):
    # 2**63 does not fit a 64-bit integer column. SQLite's driver overflows on it, which
    # answered 500: the caller gets 400 naming the parameter, as documented. PostgreSQL
    # compares the number and finds no row: an empty page.
    response = staff_client.get(path, {parameter: str(2**63), "page_size": "5"})

    assert_documented(openapi, "get", path, response)
    if connection.vendor == "sqlite":
        assert response.status_code == 400
        assert response.json() == {
            parameter: [f"Give a whole number between -{2**63 - 1} and {2**63 - 1}."]
        }
    else:
        assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("name", ["Mars/Olympus", "x" * 300, "../../etc/passwd", ""])
def test_a_time_zone_that_is_not_iana_answers_400_naming_the_field(openapi, staff_client, name):
    # A 300-character name made zoneinfo fail on the file name's length (OSError): 500.
    response = staff_client.post(
        "/api/v1/sprint-calendars/",
        {"name": "Sprints", "start_date": "2026-01-05", "length_days": 14, "timezone": name},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["timezone"]
    assert_documented(openapi, "post", "/api/v1/sprint-calendars/", response)
