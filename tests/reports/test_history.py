"""The demo history: six months in which every report has something to show.

The demo is seeded once for the module (tests.seed_once); each test starts from it as seeded.
That it comes out the same every time is in test_history_repeat (it needs an empty database).
"""

import datetime
from collections import Counter

import pytest
from django.db.models import F

from core.caches import clear_all as clear_caches
from incidents.models import Bug, Incident, Page
from portal.demo import seed as demo
from portal.demo.history import holidays, seed_history
from reports.builders import ReportQuery, build
from reports.decision import DEFAULT_WEIGHTS
from reports.models import TeamCapacity
from reports.replay import ReplayParameters
from rota.models import Override, Shift, SupportPolicy, Unavailability
from rota.routing import responders
from tests.seed_once import rolled_back_seed

NOW = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)


def seed_with_history(now=NOW):
    sections = demo.SECTIONS if seed_history in demo.SECTIONS else [*demo.SECTIONS, seed_history]
    return demo.seed_all(now=now, sections=sections)


@pytest.fixture(scope="module")
def history_once(django_db_setup, django_db_blocker):
    with rolled_back_seed(django_db_blocker, seed_with_history) as seeded:
        yield seeded


@pytest.fixture
def history(history_once, db):
    clear_caches()
    yield history_once
    clear_caches()


def test_holidays_fall_on_the_right_days():
    london = holidays("Europe/London", 2026)
    assert london[datetime.date(2026, 5, 25)] == "Spring bank holiday"  # last Monday of May
    assert london[datetime.date(2026, 8, 31)] == "Summer bank holiday"
    assert holidays("America/New_York", 2026)[datetime.date(2026, 11, 26)] == "Thanksgiving"
    assert datetime.date(2026, 1, 26) in holidays("Asia/Kolkata", 2026)


def test_six_months_of_incidents_of_every_severity_mostly_in_a_few_components(history):
    incidents = Incident.objects.all()
    first = incidents.order_by("created_at").first().created_at
    assert NOW - first > datetime.timedelta(weeks=25)
    severities = Counter(incidents.values_list("severity", flat=True))
    assert set(severities) == {"SEV1", "SEV2", "SEV3", "SEV4"}
    per_component = sorted(Counter(incidents.values_list("component", flat=True)).values())
    assert per_component[-1] > 4 * per_component[len(per_component) // 2]
    for incident in incidents.exclude(mitigated_at=None)[:50]:
        assert incident.created_at <= incident.acknowledged_at <= incident.mitigated_at
        assert incident.mitigated_at <= incident.resolved_at <= NOW
    assert incidents.filter(mitigation_kind="rollback").exists()
    assert incidents.exclude(logged_minutes=None).exists()


def test_incidents_are_routed_as_of_their_own_time_and_leave_pages_shifts_and_bugs(history):
    for incident in Incident.objects.select_related("component").order_by("id")[::40]:
        route = responders(component=incident.component, at=incident.created_at)
        assert incident.responding_team == route.responding_team
        assert incident.responder == (route.primary.user if route.primary else None)
    assert SupportPolicy.objects.count() == 3
    assert Incident.objects.filter(first_line_responder__isnull=False).exists()
    assert Incident.objects.exclude(responding_team=F("owning_team")).exists()
    assert Page.objects.filter(status="sent").count() > 50
    assert Shift.objects.filter(end__lte=NOW - datetime.timedelta(weeks=20)).exists()
    assert Override.objects.exists()
    kinds = Counter(Unavailability.objects.values_list("kind", flat=True))
    assert kinds["leave"] > 20 and kinds["public_holiday"] > 10
    outcomes = Counter(Bug.objects.values_list("outcome", flat=True))
    assert {"", "fixed", "story", "wont_fix"} <= set(outcomes)
    assert Bug.objects.filter(incident__isnull=False).exists()
    assert Bug.objects.exclude(timebox_days=1).exists()
    assert TeamCapacity.objects.filter(team__slug="payments", buffer_percent=25).exists()


def test_every_report_shows_something(history):
    query = ReportQuery()
    load = build("load", query, now=NOW).report
    assert len(load.sprints) >= 13
    assert sum(row.incidents for row in load.rows) > 300
    assert sum(row.pages_out_of_hours for row in load.rows) > 10
    assert sum(row.bugs_triaged for row in load.rows) > 50
    assert any(row.over_buffer for row in load.rows)
    fairness = build("fairness", query, now=NOW).report
    assert all(team.people for team in fairness.teams)
    assert sum(p.nights_woken for p in fairness.people) > 5
    assert sum(p.holiday_shifts for p in fairness.people) > 0
    metrics = build("incidents", query, now=NOW).report
    assert metrics.by("all")[0].bounced > 0
    assert len(metrics.by("month")) >= 6
    comparison = build("model-comparison", query, now=NOW).report
    assert comparison.incidents > 300
    assert len({s.people_interrupted for s in comparison.scenarios}) > 1


def test_the_demo_comparison_is_not_a_foregone_conclusion(history):
    """The storefront rotation is replayed as configured, Operations and Platform are not
    product capacity, and which model ranks first depends on what the user weighs most."""
    base = ReportQuery(replay=ReplayParameters(first_line=(False,)))
    comparison = build("model-comparison", base, now=NOW).report
    assert comparison.rotation["mode"] == "configured"
    assert comparison.rotation["name"] == "Storefront support"
    teams = {row.team: row for row in comparison.scenarios[0].teams}
    assert not teams["sre"].product and not teams["platform"].product
    assert comparison.estimated_incidents > 0
    firsts = set()
    for weights in (
        {},  # the defaults
        {"standby_hours_per_engineer": 4.0, "ooh_pages_per_person": 1.0, "mttm_minutes": 1.0},
        {"capacity_lost_percent": 0.0, "standby_hours_per_engineer": 0.0},
    ):
        params = ReplayParameters(first_line=(False,), weights={**DEFAULT_WEIGHTS, **weights})
        ranking = build("model-comparison", ReportQuery(replay=params), now=NOW).report.decision
        firsts.add(tuple(ranking.ranking[0]))
    assert len(firsts) > 1, firsts
