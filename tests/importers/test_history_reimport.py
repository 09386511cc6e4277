"""Re-importing incident history: the source's fingerprint decides, the status never goes back.

Also Grafana's silence as the acknowledgement and the created column named as in the file.
Every expected value is worked out on paper from the inline files.
"""

import datetime
import json

from django.urls import reverse

from importers.history.incidents import load_mapping
from incidents.models import Incident, TimelineEntry

from .incident_world import run_import, sample, world_fixture  # noqa: F401 (fixture)

GF, PD = "grafana-oncall-alert-groups", "pagerduty-incidents"
UTC = datetime.UTC


def group(**fields) -> dict:
    """One alert group of integration "INT1" (mapped to checkout), created 1 March 10:00."""
    return {
        "id": "IG1",
        "title": "Checkout latency",
        "state": "new",
        "created_at": "2026-03-01T10:00:00Z",
        "acknowledged_at": None,
        "silenced_at": None,
        "resolved_at": None,
        "integration_id": "INT1",
        **fields,
    }


def export(*groups) -> bytes:
    return json.dumps({"results": list(groups)}).encode()


MAPPING = {"INT1": "checkout"}


def test_unchanged_source_leaves_what_rota_did_alone(world, staff_client, staff_user):
    data = export(group())
    assert run_import(GF, data, mapping=MAPPING).created == {"incident": 1}
    incident = Incident.objects.get(source="grafana_oncall", source_id="IG1")
    assert incident.status == "triggered"
    answer = staff_client.post(f"/api/v1/incidents/{incident.pk}/resolve/", {}, format="json")
    assert answer.status_code == 200, answer.content
    Incident.objects.filter(pk=incident.pk).update(severity="SEV1")  # raised in Rota

    again = run_import(GF, data, mapping=MAPPING)
    # Same file: the source row did not change, so the resolution made in Rota stands.
    assert again.unchanged == {"incident": 1} and not again.updated
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at is not None and incident.resolved_by == staff_user
    assert incident.severity == "SEV1"


def test_a_changed_source_never_moves_the_status_back(world, staff_client, staff_user):
    run_import(GF, export(group()), mapping=MAPPING)
    incident = Incident.objects.get(source_id="IG1")
    staff_client.post(f"/api/v1/incidents/{incident.pk}/resolve/", {}, format="json")
    incident.refresh_from_db()
    resolved_at = incident.resolved_at

    # The source renamed the group but still calls it new: the title follows the source,
    # the status stays resolved with Rota's time and person (no half-reset fields).
    report = run_import(GF, export(group(title="Checkout latency (EU)")), mapping=MAPPING)
    assert report.updated == {"incident": 1}
    incident.refresh_from_db()
    assert incident.title == "Checkout latency (EU)"
    assert (incident.status, incident.resolved_at, incident.resolved_by) == (
        "resolved",
        resolved_at,
        staff_user,
    )


def test_a_source_that_moved_on_is_followed_forward(world):
    run_import(GF, export(group()), mapping=MAPPING)
    # Acknowledged at 10:04, resolved at 11:00 in the source since the first import.
    later = group(
        state="resolved",
        acknowledged_at="2026-03-01T10:04:00Z",
        resolved_at="2026-03-01T11:00:00Z",
    )
    assert run_import(GF, export(later), mapping=MAPPING).updated == {"incident": 1}
    incident = Incident.objects.get(source_id="IG1")
    assert incident.status == "resolved"
    assert incident.acknowledged_at == datetime.datetime(2026, 3, 1, 10, 4, tzinfo=UTC)
    assert incident.resolved_at == datetime.datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert incident.resolved_by is None and incident.acknowledged_by is None


def test_silenced_at_is_the_acknowledgement_when_acknowledged_at_is_empty(world, user_client):
    # Silenced at 10:06 then resolved at 10:30, never acknowledged: acknowledged at 10:06,
    # so the time to acknowledge is 6 minutes (not "never acknowledged").
    resolved = group(
        state="resolved", silenced_at="2026-03-01T10:06:00Z", resolved_at="2026-03-01T10:30:00Z"
    )
    run_import(GF, export(resolved), mapping=MAPPING)
    incident = Incident.objects.get(source_id="IG1")
    assert incident.acknowledged_at == datetime.datetime(2026, 3, 1, 10, 6, tzinfo=UTC)
    assert incident.acknowledged_at - incident.created_at == datetime.timedelta(minutes=6)
    # The one incident of the period: MTTA 6 minutes (none at all before the fix).
    period = {"from": "2026-02-23", "to": "2026-03-08"}
    body = user_client.get(reverse("report-incidents"), period).json()
    assert (body["summary"]["incidents"], body["summary"]["mtta_minutes"]) == (1, 6.0)


def test_each_imported_incident_says_where_it_came_from(world):
    mapping = load_mapping(sample("grafana_mapping.json"))
    run_import(GF, sample("grafana_oncall_alert_groups.json"), mapping=mapping)
    entry = TimelineEntry.objects.get(incident__source_id="IW5S9KGM2NBRT")
    today = datetime.datetime.now(UTC).date().isoformat()
    assert entry.text == f"Imported from Grafana OnCall (alert group IW5S9KGM2NBRT) on {today}."
    # A second import adds no second entry.
    run_import(GF, sample("grafana_oncall_alert_groups.json"), mapping=mapping)
    assert TimelineEntry.objects.filter(incident__source_id="IW5S9KGM2NBRT").count() == 1


def test_a_missing_created_time_names_the_column_the_file_has(world):
    # The analytics export names the column created_at, not created_on.
    data = b"id,service_name,title,created_at\nQ1,checkout,Down,\n"
    report = run_import(PD, data)
    assert [str(p) for p in report.problems] == ["line 2: no created time (created_at is empty)"]


def test_the_timeline_note_names_the_alert_as_people_know_it(world):
    # Opsgenie's tinyId (1791), PagerDuty's incident number (#101): not the long ids.
    run_import("opsgenie-alerts", sample("opsgenie_alerts.json"))
    entry = TimelineEntry.objects.get(incident__title="Payment provider webhook failures")
    assert entry.text.startswith("Imported from Opsgenie (alert 1791) on ")
    run_import(
        PD,
        sample("pagerduty_incidents.csv"),
        mapping=load_mapping(sample("pagerduty_mapping.yaml")),
    )
    entry = TimelineEntry.objects.get(incident__source="pagerduty", incident__source_id="PABC001")
    assert entry.text.startswith("Imported from PagerDuty (incident #101) on ")
