"""The import_history command, and the support-model comparison run on imported history."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from importers.history.incidents import load_mapping
from incidents.models import Incident
from reports.builders import ReportQuery, build

from .incident_world import SAMPLES, run_import, sample, world_fixture  # noqa: F401 (fixture)


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_history", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_dry_run_then_import_from_the_command_line(world):
    csv = str(SAMPLES / "pagerduty_incidents.csv")
    mapping = str(SAMPLES / "pagerduty_mapping.yaml")
    dry = command("pagerduty-incidents", csv, "--mapping", mapping, "--dry-run")
    assert dry.splitlines() == [
        "Dry run: nothing was written.",
        "would create: 5 incident",
        "not imported: line 8 (incident #106): no created time (created_on is empty)",
    ]
    assert Incident.objects.count() == 0
    assert command("pagerduty-incidents", csv, "--mapping", mapping).splitlines()[0] == (
        "created: 5 incident"
    )
    assert command("pagerduty-incidents", csv, "--mapping", mapping).splitlines()[0] == (
        "unchanged: 5 incident"
    )
    assert Incident.objects.count() == 5


def test_command_errors_name_the_file_and_the_format(world, tmp_path):
    with pytest.raises(CommandError, match="Unknown format 'jira'; choose one of"):
        command("jira", str(SAMPLES / "pagerduty_incidents.csv"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [1,')
    with pytest.raises(CommandError, match=r"bad.json: line 1 column 13: not JSON"):
        command("opsgenie-alerts", str(bad))
    with pytest.raises(CommandError, match="missing.csv: No such file"):
        command("pagerduty-incidents", str(tmp_path / "missing.csv"))


def test_model_comparison_runs_on_the_imported_history(world, staff_client):
    run_import(
        "pagerduty-incidents",
        sample("pagerduty_incidents.csv"),
        mapping=load_mapping(sample("pagerduty_mapping.yaml")),
    )
    run_import("opsgenie-alerts", sample("opsgenie_alerts.json"))
    run_import(
        "grafana-oncall-alert-groups",
        sample("grafana_oncall_alert_groups.json"),
        mapping=load_mapping(sample("grafana_mapping.json")),
    )
    # Worked out on paper from the three samples (5 + 4 + 3 incidents, 10 Feb to 18 Mar):
    # payments  PD 101, 104, 105; OG 1791, 1793; GF IRFN, IW5S    = 7
    # platform  PD 102 (before the re-org); OG 1792; GF I7Q2      = 3
    # search    PD 103 (after it); OG 1794                        = 2
    # Severities: SEV1 PD101 OG1794 GF-IRFN = 3; SEV2 PD102 OG1791 = 2;
    # SEV3 PD105 OG1792 GF-I7Q2 GF-IW5S = 4; SEV4 PD103 PD104 OG1793 = 3.
    # The reports' two-week sprints start 2024-01-01: 9 Feb to 22 Mar 2026 is sprints 55-57.
    query = ReportQuery(first_day=datetime.date(2026, 2, 9), last_day=datetime.date(2026, 3, 22))
    now = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)
    comparison = build("model-comparison", query, now=now).report
    assert comparison.incidents == 12
    assert comparison.sprints == 3
    ownership = next(s for s in comparison.scenarios if s.key == "ownership")
    per_team = {t.team: t.incidents for t in ownership.teams if t.incidents}
    assert per_team == {"payments": 7, "platform": 3, "search": 2}
    dedicated = next(s for s in comparison.scenarios if s.key == "dedicated")
    assert sum(t.incidents for t in dedicated.teams) == 12

    metrics = build("incidents", query, now=now).report
    by_severity = {g.key: g for g in metrics.by("severity")}
    assert {k: g.incidents for k, g in by_severity.items()} == {
        "SEV1": 3,
        "SEV2": 2,
        "SEV3": 4,
        "SEV4": 3,
    }
    # SEV2: PD 102 acknowledged after 10 minutes, OG 1791 after 5: MTTA 7.5 minutes.
    assert by_severity["SEV2"].mtta_minutes == 7.5

    # The endpoint the comparison page and tools read says the same.
    response = staff_client.get(
        "/api/v1/reports/model-comparison/", {"from": "2026-02-09", "to": "2026-03-22"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["incidents"], body["sprints"]) == (12, 3)
    ownership = next(s for s in body["scenarios"] if s["key"] == "ownership")
    assert {t["team"]: t["incidents"] for t in ownership["teams"] if t["incidents"]} == {
        "payments": 7,
        "platform": 3,
        "search": 2,
    }
