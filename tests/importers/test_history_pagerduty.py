"""PagerDuty incidents CSV: the sample file, worked out on paper line by line."""

import datetime

import pytest
from celery.signals import before_task_publish
from django.core import mail

from importers.base import ImportRefused, Problem
from importers.history.incidents import load_mapping
from incidents.models import Incident, Page, TimelineEntry

from .incident_world import run_import, sample, world_fixture  # noqa: F401 (fixture)

UTC = datetime.UTC
PD = "pagerduty-incidents"
MAPPING = load_mapping(sample("pagerduty_mapping.yaml"))


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def published():
    """Record every Celery task sent while the test runs."""
    sent = []

    def record(sender=None, **kwargs):
        sent.append(sender)

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)


def test_sample_with_mapping(world):
    report = run_import(PD, sample("pagerduty_incidents.csv"), mapping=MAPPING)
    # Six rows (PABC004's title spans lines 5-6): five imported; #106 on line 8 has no
    # created time.
    assert report.created == {"incident": 5}
    assert report.problems == [
        Problem("line 8 (incident #106)", "no created time (created_on is empty)")
    ]
    rows = {i.source_id: i for i in Incident.objects.filter(source="pagerduty")}
    assert sorted(rows) == ["PABC001", "PABC002", "PABC003", "PABC004", "PABC005"]

    first = rows["PABC001"]  # P1, "Checkout API" mapped to checkout
    assert (first.severity, first.urgency, first.status) == ("SEV1", "interrupting", "resolved")
    assert first.component == world["checkout"]
    assert first.owning_team == first.responding_team == world["payments"]
    assert first.created_at == at(2026, 2, 10, 8, 15)
    assert first.acknowledged_at == at(2026, 2, 10, 8, 20)
    assert first.resolved_at == at(2026, 2, 10, 9, 15)
    assert first.ticket_url == "https://example.pagerduty.com/incidents/PABC001"

    # No priority, urgency high -> SEV2; times at +01:00 stored in UTC; "Search API" is the
    # slug search-api; 20 February is before the re-org: platform owned it.
    second = rows["PABC002"]
    assert (second.severity, second.urgency) == ("SEV2", "interrupting")
    assert second.created_at == at(2026, 2, 20, 21, 0)
    assert second.acknowledged_at == at(2026, 2, 20, 21, 10)
    assert second.resolved_at == at(2026, 2, 20, 22, 30)
    assert second.component == world["search-api"]
    assert second.owning_team == world["platform"]

    third = rows["PABC003"]  # P4 low, 5 March: after the re-org, search owns it
    assert (third.severity, third.urgency) == ("SEV4", "backlog")
    assert third.acknowledged_at is None
    assert third.owning_team == world["search"]

    fourth = rows["PABC004"]  # "Ledger" is the ledger component's name; low, no priority
    assert fourth.title == "Ledger nightly job failed,\nsee the runbook"
    assert (fourth.component, fourth.severity) == (world["ledger"], "SEV4")

    fifth = rows["PABC005"]  # "Legacy Billing" mapped to ledger; P3 high
    assert (fifth.component, fifth.severity, fifth.urgency) == (
        world["ledger"],
        "SEV3",
        "interrupting",
    )


def test_unknown_services_are_named_with_their_lines(world):
    report = run_import(PD, sample("pagerduty_incidents.csv"))
    # Without the mapping, "Checkout API" (line 2) and "Legacy Billing" (line 7) match no
    # component: three of six rows are imported.
    assert report.created == {"incident": 3}
    where = [(p.where, p.message.split(":")[0]) for p in report.problems]
    assert where == [
        ("line 2 (incident #101)", 'unknown service "Checkout API"'),
        ("line 7 (incident #105)", 'unknown service "Legacy Billing"'),
        ("line 8 (incident #106)", "no created time (created_on is empty)"),
    ]


def test_imported_history_is_never_paged_or_notified(
    world, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_import(PD, sample("pagerduty_incidents.csv"), mapping=MAPPING)
    assert Incident.objects.count() == 5
    assert Page.objects.count() == 0
    # One note each, "Imported from PagerDuty ...", and nothing paged or escalated.
    assert set(TimelineEntry.objects.values_list("kind", flat=True)) == {"note"}
    assert TimelineEntry.objects.count() == 5
    assert mail.outbox == []
    assert callbacks == []
    assert published == []
    assert not Incident.objects.exclude(next_escalation_at=None).exists()


def test_a_second_run_changes_nothing_and_a_changed_row_is_updated(world):
    data = sample("pagerduty_incidents.csv")
    run_import(PD, data, mapping=MAPPING)
    again = run_import(PD, data, mapping=MAPPING)
    assert again.created == {} and again.updated == {}
    assert again.unchanged == {"incident": 5}
    assert Incident.objects.count() == 5

    edited = data.replace(b"2026-03-05T16:00:00Z", b"2026-03-05T17:00:00Z")
    third = run_import(PD, edited, mapping=MAPPING)
    assert third.updated == {"incident": 1} and third.unchanged == {"incident": 4}
    assert Incident.objects.get(source_id="PABC003").resolved_at == at(2026, 3, 5, 17)
    assert Incident.objects.count() == 5


def test_dry_run_reports_and_writes_nothing(world):
    report = run_import(PD, sample("pagerduty_incidents.csv"), mapping=MAPPING, dry_run=True)
    assert report.dry_run and report.created == {"incident": 5}
    assert "create incident PagerDuty incident PABC002 (line 3 (incident #102)) in search-api" in (
        report.details
    )
    assert Incident.objects.count() == 0


def test_a_native_incident_with_the_same_id_is_left_alone(world):
    native = Incident.objects.create(
        title="Opened in Rota", component=world["checkout"], source_id=""
    )
    run_import(PD, sample("pagerduty_incidents.csv"), mapping=MAPPING)
    native.refresh_from_db()
    assert (native.title, native.source) == ("Opened in Rota", "")


@pytest.mark.parametrize(
    "row, message",
    [
        (
            "PX1,1,t,resolved,high,P1,S,Checkout API,,,2026-02-10 08:00,,yesterday,",
            'resolved_on "yesterday" is not an ISO 8601 time',
        ),
        (
            "PX1,1,t,resolved,high,Urgent,S,Checkout API,,,2026-02-10T08:00Z,,,",
            'priority "Urgent" is none of P1-P5; rename it in the file',
        ),
        (
            "PX1,1,t,resolved,high,P1,S,Checkout API,,,2026-02-10T08:00Z,,,",
            "resolved in the source but no resolved time is given",
        ),
        (
            "PX1,1,t,resolved,high,P1,S,Checkout API,,,2026-02-10T08:00Z,,2026-02-10T07:00Z,",
            "resolved before it was created",
        ),
        (
            ",1,t,resolved,high,P1,S,Checkout API,,,2026-02-10T08:00Z,,2026-02-10T09:00Z,",
            "id is empty",
        ),
    ],
)
def test_bad_rows_are_named_by_line(world, row, message):
    header = sample("pagerduty_incidents.csv").splitlines()[0].decode()
    good = "PX0,0,t,resolved,high,P1,S,Checkout API,,,2026-02-10T08:00Z,,2026-02-10T09:00Z,"
    data = f"{header}\n{good}\n{row}\n".encode()
    report = run_import(PD, data, mapping=MAPPING)
    assert report.created == {"incident": 1}
    assert [str(p) for p in report.problems] == [f"line 3 (incident #1): {message}"]


def test_a_repeated_id_is_refused_naming_both_lines(world):
    lines = sample("pagerduty_incidents.csv").splitlines()
    data = b"\n".join([lines[0], lines[1], lines[1]]) + b"\n"
    report = run_import(PD, data, mapping=MAPPING)
    assert report.created == {"incident": 1}
    assert [str(p) for p in report.problems] == [
        'line 3 (incident #101): the same id "PABC001" as line 2 (incident #101)'
    ]


def test_a_file_that_is_not_the_export_is_refused_as_a_whole(world):
    with pytest.raises(ImportRefused) as error:
        run_import(PD, b"name,when\nx,2026-01-01\n")
    assert str(error.value) == (
        "line 1: no column id, service_name, created_on (this is not PagerDuty's incidents CSV)"
    )
    assert Incident.objects.count() == 0
