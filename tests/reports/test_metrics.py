"""Incident metrics on four incidents computed by hand."""

import datetime

import pytest

from reports.metrics import incident_metrics
from reports.records import ComponentInfo, IncidentRecord

from .factories import at, data, team

MINUTE = datetime.timedelta(minutes=1)


def incident(id, created, severity, team_id, component_id, *, ack=None, mit=None, res=None,
             kind="", owner=None, bounced=False):  # fmt: skip
    def later(minutes):
        return created + minutes * MINUTE if minutes is not None else None

    return IncidentRecord(
        id=id, created_at=created, severity=severity, urgency="interrupting",
        component_id=component_id, owning_team_id=owner or team_id, responding_team_id=team_id,
        acknowledged_at=later(ack), mitigated_at=later(mit), resolved_at=later(res),
        mitigation_kind=kind, bounced=bounced,
    )  # fmt: skip


@pytest.fixture
def example():
    incidents = [
        incident(1, at(10, 10), "SEV1", 1, 100, ack=10, mit=30, res=90, kind="rollback"),
        incident(2, at(20, 10), "SEV1", 1, 100, ack=20, mit=40, res=150, kind="restart"),
        # Answered by Beta for Alpha's component, then handed back to Alpha as a bug.
        incident(3, at(5, 10, month=2), "SEV2", 2, 200, ack=5, res=65, owner=1, bounced=True),
        incident(4, at(6, 10, month=2), "SEV3", 2, 200),  # still open, unacknowledged
    ]
    components = {100: ComponentInfo(100, "api", "API"), 200: ComponentInfo(200, "web", "Web")}
    return {
        "teams": [team(1, "alpha"), team(2, "beta")], "first": 1,
        "last": datetime.date(2024, 2, 29), "incidents": incidents, "components": components,
    }  # fmt: skip


def test_overall_times_rollbacks_and_bounces(example):
    report = incident_metrics(data(**example))
    (overall,) = report.by("all")
    assert (overall.incidents, overall.acknowledged, overall.mitigated, overall.resolved) == (
        4, 3, 2, 3
    )  # fmt: skip
    assert (overall.mtta_minutes, overall.mtta_median_minutes) == (11.7, 10)
    assert (overall.mttm_minutes, overall.mttm_median_minutes) == (35.0, 35.0)
    assert (overall.mttr_minutes, overall.mttr_median_minutes) == (101.7, 90)
    assert (overall.rollbacks, overall.rollback_share) == (1, 50.0)
    assert (overall.handled, overall.bounced, overall.bounced_share) == (2, 1, 33.3)


def test_by_severity_team_component_and_month(example):
    report = incident_metrics(data(**example))
    sev1, sev2, sev3 = report.by("severity")
    assert (sev1.key, sev1.mtta_minutes, sev1.mttm_minutes, sev1.mttr_minutes) == (
        "SEV1", 15.0, 35.0, 120.0
    )  # fmt: skip
    assert (sev2.key, sev2.mttr_minutes, sev2.bounced_share) == ("SEV2", 65.0, 100.0)
    assert (sev3.key, sev3.incidents, sev3.mtta_minutes, sev3.rollback_share) == (
        "SEV3", 1, None, None
    )  # fmt: skip
    assert [(g.key, g.incidents) for g in report.by("team")] == [("alpha", 2), ("beta", 2)]
    assert [(g.key, g.label) for g in report.by("component")] == [("api", "API"), ("web", "Web")]
    assert [(g.key, g.incidents) for g in report.by("month")] == [("2024-01", 2), ("2024-02", 2)]


def test_team_filter_counts_what_the_team_answered_or_owns(example):
    report = incident_metrics(data(**example, team_id=1))
    assert report.by("all")[0].incidents == 3
    report = incident_metrics(data(**example, team_id=2))
    assert report.by("all")[0].incidents == 2


def test_no_incidents():
    report = incident_metrics(data(teams=[team(1, "alpha")], first=1, last=14))
    (overall,) = report.by("all")
    assert (overall.incidents, overall.mtta_minutes, overall.bounced_share) == (0, None, None)
    assert report.by("severity") == []
