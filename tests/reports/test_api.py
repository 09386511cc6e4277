"""The reports API: JSON, CSV with the same numbers, filters, errors and permissions."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from tests.incidents.factories import IncidentFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.reports.factories import TeamCapacityFactory

UTC = datetime.UTC
PERIOD = {"from": "2024-01-01", "to": "2024-01-28"}
NAMES = ("report-load", "report-fairness", "report-incidents", "report-model-comparison")


@pytest.fixture
def recorded(db):
    """Alpha owns the API; three incidents in January 2024, one in March."""
    alpha = TeamFactory(slug="alpha", name="Alpha")
    beta = TeamFactory(slug="beta", name="Beta")
    ann = MembershipFactory(team=alpha, user__username="ann").user
    MembershipFactory(team=beta, user__username="bob")
    api = ComponentFactory(slug="api", owner_team=alpha)
    web = ComponentFactory(slug="web", owner_team=beta)

    def incident(component, day, month=1, severity="SEV2"):
        created = datetime.datetime(2024, month, day, 10, tzinfo=UTC)
        return IncidentFactory(
            component=component, created_at=created, severity=severity, responder=ann,
            acknowledged_at=created + datetime.timedelta(minutes=6),
            resolved_at=created + datetime.timedelta(hours=2), status="resolved",
        )  # fmt: skip

    incident(api, 2, severity="SEV1")
    incident(api, 3)
    incident(web, 4)
    incident(api, 5, month=3)
    return {"alpha": alpha, "beta": beta, "api": api, "web": web}


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_callers_are_refused(api_client, db, name):
    response = api_client.get(reverse(name))
    assert response.status_code == 401
    assert api_client.get(reverse(name), {"format": "csv"}).status_code == 401


@pytest.mark.parametrize("name", NAMES)
def test_every_signed_in_user_reads_json_with_the_period(user_client, recorded, name):
    response = user_client.get(reverse(name), PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["team"]) == ("2024-01-01", "2024-01-28", None)


def test_incident_metrics_json_and_csv_carry_the_same_numbers(user_client, recorded):
    body = user_client.get(reverse("report-incidents"), PERIOD).json()
    assert body["summary"]["incidents"] == 3
    assert body["summary"]["mtta_minutes"] == 6.0
    assert [g["key"] for g in body["by_severity"]] == ["SEV1", "SEV2"]
    response = user_client.get(reverse("report-incidents"), {**PERIOD, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0]["dimension"] == "all"
    assert int(rows[0]["incidents"]) == 3
    assert float(rows[0]["mttr_minutes"]) == body["summary"]["mttr_minutes"] == 120.0


def test_team_and_component_filters(user_client, recorded):
    url = reverse("report-incidents")
    assert user_client.get(url, {**PERIOD, "team": "beta"}).json()["summary"]["incidents"] == 1
    body = user_client.get(url, {**PERIOD, "component": "api"}).json()
    assert (body["component"], body["summary"]["incidents"]) == ("api", 2)
    load = user_client.get(reverse("report-load"), {**PERIOD, "team": "alpha"}).json()
    assert {row["team"] for row in load["rows"]} == {"alpha"}
    assert sum(row["incidents"] for row in load["rows"]) == 2


def test_period_filter(user_client, recorded):
    url = reverse("report-incidents")
    march = {"from": "2024-03-01", "to": "2024-03-31"}
    assert user_client.get(url, march).json()["summary"]["incidents"] == 1


def test_a_team_with_no_data(user_client, recorded):
    TeamFactory(slug="quiet")
    url = reverse("report-load")
    body = user_client.get(url, {**PERIOD, "team": "quiet"}).json()
    assert [row["support_hours"] for row in body["rows"]] == [0.0, 0.0]
    assert body["teams"][0]["buffer_used_percent"] is None
    fairness = user_client.get(reverse("report-fairness"), {**PERIOD, "team": "quiet"}).json()
    assert fairness["teams"][0]["people"] == []


def test_load_csv_tables(user_client, recorded):
    url = reverse("report-load")
    rows = csv_rows(user_client.get(url, {**PERIOD, "format": "csv"}))
    assert {r["team"] for r in rows} == {"alpha", "beta"}
    alpha = [r for r in rows if r["team"] == "alpha"]
    assert [int(r["incidents"]) for r in alpha] == [2, 0]
    summary = csv_rows(user_client.get(url, {**PERIOD, "format": "csv", "table": "teams"}))
    assert [r["team"] for r in summary] == ["alpha", "beta"]


def test_model_comparison_parameters_and_csv(user_client, recorded):
    url = reverse("report-model-comparison")
    params = {**PERIOD, "dedicated_size": 2, "rotation_sprints": 1, "first_line": "without"}
    body = user_client.get(url, params).json()
    assert body["parameters"]["dedicated_size"] == 2
    assert [s["key"] for s in body["scenarios"]] == ["ownership", "dedicated", "rotating"]
    assert body["assumptions"]
    assert body["incidents"] == 3
    rows = csv_rows(user_client.get(url, {**params, "format": "csv"}))
    assert [r["key"] for r in rows] == ["ownership", "dedicated", "rotating"]
    by_key = {s["key"]: s for s in body["scenarios"]}
    assert float(rows[1]["capacity_lost_percent"]) == by_key["dedicated"]["capacity_lost_percent"]
    teams = csv_rows(user_client.get(url, {**params, "format": "csv", "table": "teams"}))
    assert {"scenario", "team", "share_percent"} <= set(teams[0])
    only = user_client.get(url, {**params, "model": ["dedicated"]}).json()
    assert [s["key"] for s in only["scenarios"]] == ["dedicated"]


def test_model_comparison_json_keeps_its_fields_and_adds_the_decision(user_client, recorded):
    url = reverse("report-model-comparison")
    body = user_client.get(url, {**PERIOD, "first_line": "without"}).json()
    scenario = body["scenarios"][0]
    for name in ("support_hours", "capacity_lost_percent", "peak_share_percent",
                 "people_interrupted", "oncall_people", "pages_out_of_hours",
                 "ooh_pages_per_person", "max_ooh_pages_person", "context_switches", "teams",
                 "loads"):  # fmt: skip
        assert name in scenario, name
    for name in ("reserved_hours", "penalty_hours", "estimated_hours", "oncall_at_once",
                 "standby_hours_per_engineer", "nights_woken_per_engineer", "mttm_minutes",
                 "overall_score", "rank", "tied", "people"):  # fmt: skip
        assert name in scenario, name
    decision = body["decision"]
    assert decision["weights"] == {
        "capacity_lost_percent": 3.0, "standby_hours_per_engineer": 2.0,
        "ooh_pages_per_person": 2.0, "mttm_minutes": 2.0, "context_switches": 1.0,
    }  # fmt: skip
    assert [line["key"] for line in decision["sensitivity"]] == ["incidents", "buffer", "penalty"]
    assert {row["scenario"] for row in decision["rows"]} == {"ownership", "dedicated", "rotating"}
    assert body["rotation"]["mode"] == "invented"
    assert set(body["rankings"]) == set(body["ranking_ties"])


def test_model_comparison_parameters_reach_the_replay(user_client, recorded):
    url = reverse("report-model-comparison")
    params = {
        **PERIOD, "weight_capacity": 1, "weight_standby": 0, "weight_ooh_pages": 0,
        "weight_mitigation": 0, "weight_context_switches": 0, "penalty_percent": 10,
        "mitigation_penalty_percent": 0, "buffer_percent": 15, "dedicated_from": "alpha:1",
        "sensitivity_incident_factor": 3, "sensitivity_buffer_percent": 5, "rotation_sprints": 1,
    }  # fmt: skip
    body = user_client.get(url, params).json()
    assert body["decision"]["weights"]["capacity_lost_percent"] == 1.0
    assert body["decision"]["weights"]["context_switches"] == 0.0
    parameters = body["parameters"]
    assert (parameters["penalty_percent"], parameters["buffer_percent"]) == (10.0, 15.0)
    assert (parameters["dedicated_size"], parameters["dedicated_from"]) == (1, [["alpha", 1]])
    assert parameters["rotation_sprints"] == 1
    labels = [line["label"] for line in body["decision"]["sensitivity"]]
    assert labels[:2] == ["If incidents were ×3", "If every buffer were 5%"]
    assert any("15%" in text for text in body["assumptions"])


def test_model_comparison_csv_tables(user_client, recorded):
    url = reverse("report-model-comparison")
    params = {**PERIOD, "first_line": "without", "format": "csv"}
    decision = csv_rows(user_client.get(url, {**params, "table": "decision"}))
    assert [r["rank"] for r in decision] == sorted(r["rank"] for r in decision)
    assert {"overall_score", "capacity_lost_percent", "mttm_minutes_score"} <= set(decision[0])
    sensitivity = csv_rows(user_client.get(url, {**params, "table": "sensitivity"}))
    assert [r["variation"] for r in sensitivity] == ["base", "incidents", "buffer", "penalty"]
    people = csv_rows(user_client.get(url, {**params, "table": "people"}))
    assert {"scenario", "person", "oncall_hours", "nights_woken"} <= set(people[0])
    assumptions = csv_rows(user_client.get(url, {**params, "table": "assumptions"}))
    assert assumptions[0]["number"] == "1"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, "to"),
        ({"from": "2020-01-01", "to": "2024-01-01"}, "from"),
        ({"team": "nobody"}, "team"),
        ({"component": "nothing"}, "component"),
        ({"table": "nonsense"}, "table"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(user_client, db, params, field):
    for extra in ({}, {"format": "csv"}):
        response = user_client.get(reverse("report-load"), {**params, **extra})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        assert field in response.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dedicated_size": 0}, "dedicated_size"),
        ({"rotation_sprints": "two"}, "rotation_sprints"),
        ({"first_line": "sometimes"}, "first_line"),
        ({"model": "chaos"}, "model"),
        ({"rotation_sprints": 0}, "rotation_sprints"),
        ({"penalty_percent": -1}, "penalty_percent"),
        ({"mitigation_penalty_percent": "slow"}, "mitigation_penalty_percent"),
        ({"buffer_percent": 101}, "buffer_percent"),
        ({"weight_standby": -1}, "weight_standby"),
        (
            {
                "weight_capacity": 0,
                "weight_standby": 0,
                "weight_ooh_pages": 0,
                "weight_mitigation": 0,
                "weight_context_switches": 0,
            },
            "weight_capacity",
        ),
        ({"dedicated_from": "alpha"}, "dedicated_from"),
        ({"dedicated_from": "alpha:two"}, "dedicated_from"),
        ({"dedicated_from": "nobody:1"}, "dedicated_from"),
        ({"dedicated_from": "ops:1"}, "dedicated_from"),
        ({"dedicated_from": "alpha:1,alpha:2"}, "dedicated_from"),
        ({"dedicated_from": "alpha:1,beta:1", "dedicated_size": 3}, "dedicated_from"),
        ({"sensitivity_incident_factor": 0}, "sensitivity_incident_factor"),
        ({"sensitivity_buffer_percent": 200}, "sensitivity_buffer_percent"),
        ({"sensitivity_penalty_factor": "x"}, "sensitivity_penalty_factor"),
        ({"table": "everything"}, "table"),
    ],
)
def test_bad_model_parameters_are_a_400_naming_the_field(user_client, recorded, params, field):
    TeamFactory(slug="ops", kind="operations")
    for extra in ({}, {"format": "csv"}):
        response = user_client.get(reverse("report-model-comparison"), {**params, **extra})
        assert response.status_code == 400
        assert field in response.json(), response.json()


def test_fairness_flag_factor_is_validated(user_client, db):
    response = user_client.get(reverse("report-fairness"), {"flag_factor": 0.5})
    assert response.status_code == 400
    assert "flag_factor" in response.json()


def test_the_reports_are_in_the_openapi_schema_without_warnings(db, settings, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"),
                 "--urlconf", settings.ROOT_URLCONF)  # fmt: skip
    schema = (tmp_path / "s.yml").read_text()
    for path in ("load", "fairness", "incidents", "model-comparison"):
        assert f"/api/v1/reports/{path}/:" in schema
    assert "dedicated_size" in schema and "name: from" in schema
    for name in ("weight_capacity", "penalty_percent", "sensitivity_buffer_percent",
                 "dedicated_from"):  # fmt: skip
        assert f"name: {name}" in schema


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        # Year 9999: the sprint after the last day, or the day after it, is past year 9999.
        ({"to": "9999-12-31"}, "to"),
        # Year 1: the default period starts 26 weeks before `to`, before year 1.
        ({"from": "0001-01-01", "to": "0001-01-05"}, "from"),
        ({"from": "1999-12-31", "to": "2000-01-05"}, "from"),
        ({"from": "2100-12-01", "to": "2101-01-01"}, "to"),
        ({"from": "9999-12-30"}, "from"),
    ],
)
def test_dates_outside_2000_to_2100_are_a_400_naming_the_field(
    user_client, recorded, name, params, field
):
    for extra in ({}, {"format": "csv"}):
        response = user_client.get(reverse(name), {**params, **extra})
        assert response.status_code == 400, response.content
        assert "2000" in response.json()[field][0]


def test_the_edges_of_the_date_window_are_answered(user_client, recorded):
    for params in ({"from": "2000-01-01", "to": "2000-01-05"},
                   {"from": "2100-12-01", "to": "2100-12-31"}):  # fmt: skip
        for name in NAMES:
            response = user_client.get(reverse(name), params)
            assert response.status_code == 200, (name, params)
            # The answer covers the window asked for (the sprint reports widen it to whole
            # sprints: 2000-01-01 falls in the sprint of 20 December 1999), never cuts it short.
            body = response.json()
            assert body["from"] <= params["from"] and body["to"] >= params["to"], (name, body)


def test_a_team_cannot_give_the_dedicated_team_more_people_than_it_has(user_client, recorded):
    """Payments has five engineers and a lead (six on duty) and a manager: a head count of 6.
    Alpha has ann alone (1). Giving 99, 7 or Alpha's 2 is refused; 6 and 1 are answered; a
    planned head count of 8 (Reports > Team capacities) lets Payments give 8."""
    payments = TeamFactory(slug="payments", name="Payments")
    for n in range(5):
        MembershipFactory(team=payments, user__username=f"pay{n}")
    MembershipFactory(team=payments, user__username="lead", role="lead")
    MembershipFactory(team=payments, user__username="boss", role="manager")
    url = reverse("report-model-comparison")
    for given in ("payments:99", "payments:7", "payments:6,alpha:2"):
        response = user_client.get(url, {**PERIOD, "dedicated_from": given})
        assert response.status_code == 400, given
        assert "cannot give" in response.json()["dedicated_from"][0]
    response = user_client.get(url, {**PERIOD, "dedicated_from": "payments:6,alpha:1"})
    assert response.status_code == 200
    assert response.json()["parameters"]["dedicated_size"] == 7
    TeamCapacityFactory(team=payments, team_size=8)
    response = user_client.get(url, {**PERIOD, "dedicated_from": "payments:8"})
    assert response.status_code == 200
