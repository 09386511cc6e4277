"""Opsgenie and Grafana OnCall JSON exports: the sample files, worked out on paper."""

import datetime

import pytest

from importers.base import ImportRefused
from importers.history.incidents import load_mapping
from incidents.models import Incident

from .incident_world import run_import, sample, world_fixture  # noqa: F401 (fixture)

OG, GF = "opsgenie-alerts", "grafana-oncall-alert-groups"


def at(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def test_opsgenie_sample(world):
    report = run_import(OG, sample("opsgenie_alerts.json"))
    # Six alerts: 1795 has no createdAt, 1796's entity "Mobile App" is no component.
    assert report.created == {"incident": 4}
    assert [(p.where, p.message.split(":")[0]) for p in report.problems] == [
        ("data[4] (tinyId 1795)", "no created time (createdAt is missing)"),
        ("data[5] (tinyId 1796)", 'unknown service "Mobile App"'),
    ]
    rows = {i.title: i for i in Incident.objects.filter(source="opsgenie")}

    # P2, tag service:checkout; ackTime 300000 ms = 5 min, closeTime 5400000 ms = 90 min.
    webhook = rows["Payment provider webhook failures"]
    assert webhook.source_id == "70413a06-38d6-4c85-92b8-5ebc900d42e2"
    assert (webhook.severity, webhook.urgency, webhook.status) == (
        "SEV2",
        "interrupting",
        "resolved",
    )
    assert webhook.component == world["checkout"]
    assert webhook.owning_team == world["payments"]
    assert webhook.acknowledged_at == at(2026, 2, 11, 14, 5)
    assert webhook.resolved_at == at(2026, 2, 11, 15, 30)

    # P3, entity "Search API" -> search-api, 25 February: platform; closed after 2 h unseen.
    cluster = rows["Search cluster yellow"]
    assert (cluster.severity, cluster.urgency) == ("SEV3", "backlog")
    assert cluster.owning_team == world["platform"]
    assert cluster.acknowledged_at is None
    assert cluster.resolved_at == at(2026, 2, 25, 5, 0)

    disk = rows["Disk 85% on ledger-db-2"]  # P5 -> SEV4, entity ledger; 1 min, 10 min
    assert (disk.severity, disk.component) == ("SEV4", world["ledger"])
    assert disk.acknowledged_at == at(2026, 3, 3, 9, 31)
    assert disk.resolved_at == at(2026, 3, 3, 9, 40)

    # Still open and acknowledged after 2 min: imported acknowledged, never paged.
    lag = rows["Indexing queue lag above 10 minutes"]
    assert (lag.severity, lag.status) == ("SEV1", "acknowledged")
    assert lag.acknowledged_at == at(2026, 3, 18, 11, 2) and lag.resolved_at is None
    assert lag.owning_team == world["search"]

    again = run_import(OG, sample("opsgenie_alerts.json"))
    assert again.unchanged == {"incident": 4} and not again.changed
    assert Incident.objects.count() == 4


def test_grafana_oncall_sample(world):
    mapping = load_mapping(sample("grafana_mapping.json"))
    report = run_import(GF, sample("grafana_oncall_alert_groups.json"), mapping=mapping)
    assert report.created == {"incident": 3}
    assert [str(p) for p in report.problems] == [
        'results[3] (id "IBAD1"): created_at "last tuesday" is not an ISO 8601 time'
    ]
    rows = {i.source_id: i for i in Incident.objects.filter(source="grafana_oncall")}

    # integration CFRPV98RPR1U8 mapped to checkout; severity label critical -> SEV1.
    crash = rows["IRFN6ZD31N31B"]
    assert (crash.severity, crash.urgency, crash.status) == ("SEV1", "interrupting", "resolved")
    assert crash.component == world["checkout"]
    assert (crash.acknowledged_at, crash.resolved_at) == (at(2026, 2, 12, 7, 4), at(2026, 2, 12, 8))
    assert crash.ticket_url.endswith("/alert-groups/IRFN6ZD31N31B")

    errors = rows["I7Q2K1ZPKXC4M"]  # label service=search-api, severity warning -> SEV3
    assert (errors.component, errors.severity) == (world["search-api"], "SEV3")
    assert errors.owning_team == world["platform"]
    assert errors.resolved_at == at(2026, 2, 27, 18, 45)

    # Silenced after 2 minutes and never resolved: acknowledged then; no severity: SEV3.
    lag = rows["IW5S9KGM2NBRT"]
    assert (lag.status, lag.severity, lag.component) == ("acknowledged", "SEV3", world["ledger"])
    assert lag.acknowledged_at == at(2026, 3, 8, 23, 12)

    again = run_import(GF, sample("grafana_oncall_alert_groups.json"), mapping=mapping)
    assert again.unchanged == {"incident": 3} and not again.changed


def test_grafana_integration_without_mapping_is_named(world):
    report = run_import(GF, sample("grafana_oncall_alert_groups.json"))
    assert report.created == {"incident": 2}
    assert report.problems[0].where == 'results[0] (id "IRFN6ZD31N31B")'
    assert report.problems[0].message.startswith('unknown service "CFRPV98RPR1U8"')


def test_a_mapping_to_no_component_is_named(world):
    data = sample("grafana_oncall_alert_groups.json")
    report = run_import(GF, data, mapping={"CFRPV98RPR1U8": "nope"})
    assert report.problems[0].message == (
        'service "CFRPV98RPR1U8" is mapped to "nope", which is no component'
    )


@pytest.mark.parametrize(
    "name, data, message",
    [
        (OG, b'{"data": [', "line 1 column 11: not JSON: Expecting value"),
        (
            OG,
            b'"alerts"',
            "expected the Alert API's JSON: " + '{"data": [alert, ...]} or a list of alerts',
        ),
        (
            GF,
            b"{}",
            "expected the alert groups API's JSON: " + '{"results": [alert group, ...]} or a list',
        ),
    ],
)
def test_files_that_are_not_the_export_are_refused(world, name, data, message):
    with pytest.raises(ImportRefused) as error:
        run_import(name, data)
    assert str(error.value) == message


def test_mapping_files_must_map_names_to_slugs():
    assert load_mapping(b"Checkout API: checkout\n") == {"Checkout API": "checkout"}
    with pytest.raises(ImportRefused) as error:
        load_mapping(b"- checkout\n")
    assert str(error.value).startswith("mapping: give one line per service")
