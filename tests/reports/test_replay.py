"""The model comparison on a hand-computed example in which the models rank differently.

Two teams of two (Alpha owns component 100, Beta owns 200), two sprints (1-28 January 2024,
UTC, no holidays): 10 working days x 2 people x 8 h = 160 h per team and sprint, 640 h in all,
so 80 h per person and sprint. Recorded:

* I1 Tue 2 Jan 10:00, Alpha's component, 2 h, mitigated by rollback after 1 h;
* I2 Sat 6 Jan 03:00, Alpha's component, 1 h, mitigated by a hotfix;
* I3 Tue 16 Jan 23:00 (sprint 1, week 2), Beta's component, 2 h, not mitigated;
* B1 filed Wed 3 Jan for Beta's component, 4 h logged.
"""

import dataclasses

import pytest

from reports.records import BugRecord, IncidentRecord
from reports.replay import ReplayParameters, compare

from .factories import at, data, person, team

ALPHA, BETA = 1, 2


def incident(id, created, component, owner, hours, *, mitigated_after=None, kind=""):
    mitigated = created + (mitigated_after or 0) * (at(1, 1) - at(1, 0))
    return IncidentRecord(
        id=id, created_at=created, severity="SEV2", urgency="interrupting",
        component_id=component, owning_team_id=owner, responding_team_id=owner,
        acknowledged_at=created, resolved_at=created + hours * (at(1, 1) - at(1, 0)),
        mitigated_at=mitigated if mitigated_after else None, mitigation_kind=kind,
    )  # fmt: skip


@pytest.fixture
def example():
    teams = [team(ALPHA, "alpha", [11, 12]), team(BETA, "beta", [21, 22])]
    people = [person(u, f"p{u}", [u // 10]) for u in (11, 12, 21, 22)]
    incidents = [
        incident(1, at(2, 10), 100, ALPHA, 2, mitigated_after=1, kind="rollback"),
        incident(2, at(6, 3), 100, ALPHA, 1, mitigated_after=0.5, kind="hotfix"),
        incident(3, at(16, 23), 200, BETA, 2),
    ]
    bugs = [BugRecord(1, at(3, 10), BETA, 200, BETA, logged_minutes=240)]
    return data(teams=teams, people=people, first=1, last=28, incidents=incidents, bugs=bugs)


def scenarios(result):
    return {s.key: s for s in result.scenarios}


def test_each_model_without_a_first_line(example):
    params = ReplayParameters(dedicated_size=1, rotation_sprints=1, first_line=(False,))
    result = compare(example, params)
    assert (result.incidents, result.bugs, result.sprints) == (3, 1, 2)
    got = scenarios(result)
    assert list(got) == ["ownership", "dedicated", "rotating"]

    ownership = got["ownership"]
    assert ownership.support_hours == 9.0
    assert ownership.capacity_lost_percent == 1.4  # 9 / 640
    assert ownership.peak_share_percent == 2.5  # Beta, sprint 0: the bug's 4 h of 160 h
    assert (ownership.people_interrupted, ownership.oncall_people) == (2, 4)
    assert (ownership.pages, ownership.pages_out_of_hours) == (3, 2)
    assert (ownership.ooh_pages_per_person, ownership.max_ooh_pages_person) == (0.5, 1)
    assert ownership.context_switches == 0

    dedicated = got["dedicated"]
    assert dedicated.support_hours == 9.0
    assert dedicated.capacity_lost_percent == 25.0  # one person's 2 x 80 h, idle or not
    assert dedicated.peak_share_percent == 8.8  # 7 h of 80 h in sprint 0
    assert (dedicated.people_interrupted, dedicated.oncall_people) == (1, 1)
    assert (dedicated.ooh_pages_per_person, dedicated.max_ooh_pages_person) == (2.0, 2)
    assert dedicated.context_switches == 4  # it owns nothing it handles

    rotating = got["rotating"]  # Alpha in sprint 0, Beta in sprint 1
    assert rotating.capacity_lost_percent == 1.4
    assert rotating.peak_share_percent == 4.4  # Alpha: 2 + 1 + Beta's bug 4 = 7 h of 160 h
    assert (rotating.people_interrupted, rotating.oncall_people) == (2, 4)
    assert rotating.ooh_pages_per_person == 0.5
    assert rotating.context_switches == 1  # Alpha fixed Beta's bug


def test_the_models_rank_differently_on_different_measures(example):
    params = ReplayParameters(dedicated_size=1, rotation_sprints=1, first_line=(False,))
    rankings = compare(example, params).rankings
    assert rankings["capacity_lost_percent"] == ["ownership", "rotating", "dedicated"]
    assert rankings["people_interrupted"] == ["dedicated", "ownership", "rotating"]
    assert rankings["context_switches"] == ["ownership", "rotating", "dedicated"]
    assert rankings["peak_share_percent"] == ["ownership", "rotating", "dedicated"]
    assert rankings["ooh_pages_per_person"] == ["ownership", "rotating", "dedicated"]


def test_a_first_line_takes_the_pages_and_the_mitigations(example):
    params = ReplayParameters(first_line_size=1, models=("ownership",), first_line=(True,))
    (result,) = compare(example, params).scenarios
    assert result.key == "ownership+first-line"
    # First line: I1's hour until the rollback, and a quarter hour of triage for I2 and I3.
    rows = {row.team: row for row in result.teams}
    assert rows["first-line"].hours == 1.5
    assert (rows["alpha"].hours, rows["beta"].hours) == (2.0, 6.0)
    assert result.support_hours == 9.5
    assert result.capacity_lost_percent == 1.5
    # I1 reached Alpha as planned work; I2 and I3 were escalated to the owners at night.
    assert (result.people_interrupted, result.oncall_people) == (3, 5)
    assert (result.pages, result.pages_out_of_hours) == (5, 4)
    assert (result.ooh_pages_per_person, result.max_ooh_pages_person) == (0.8, 2)
    assert result.context_switches == 3


def test_the_replay_is_deterministic_and_lists_its_assumptions(example):
    first, second = compare(example), compare(example)
    assert dataclasses.asdict(first) == dataclasses.asdict(second)
    assert len(first.scenarios) == 6
    assert any("first line" in text.lower() for text in first.assumptions)
    assert any("4 people" in text for text in first.assumptions)  # the dedicated team's size


def test_team_filter_keeps_the_teams_rows_only(example):
    example.team_id = BETA
    result = compare(example, ReplayParameters(first_line=(False,)))
    for scenario in result.scenarios:
        assert {row.team for row in scenario.teams} == {"beta"}
        assert {row.team for row in scenario.loads} == {"beta"}
    assert scenarios(result)["ownership"].support_hours == 9.0  # the summary stays whole


def test_nothing_recorded():
    result = compare(data(teams=[team(1, "alpha", [11])], first=1, last=14))
    ownership = scenarios(result)["ownership"]
    assert (ownership.support_hours, ownership.people_interrupted, ownership.pages) == (0, 0, 0)
    assert ownership.capacity_lost_percent == 0.0
    assert scenarios(result)["dedicated"].capacity_lost_percent > 0
