"""The model comparison on a small history whose every number is computed by hand below.

Sprints of two weeks from Monday 1 January 2024 (UTC); the period is sprints 0 and 1 (1-28
January). Alpha (people 11, 12) owns component 100 and Beta (21, 22) owns 200; both are product
teams planning a 20% buffer. Ops (31, operations) and Help (41, support) own nothing. No
holidays, so a product team has 10 working days x 2 people x 8 h = 160 h per sprint and the
product capacity is 4 x 160 = 640 h (Ops and Help, 80 h a sprint each, are not product
capacity). Recorded:

* I1 Tue 2 Jan 10:00, Alpha's component, 2 h logged, rolled back at 11:00 (60 min to mitigate);
* I2 Sat 6 Jan 03:00, Alpha's component, 1 h logged, hotfixed at 03:30 (30 min), out of hours
  and at night;
* B1 filed Wed 3 Jan for Beta's component, fixed by Beta, 4 h logged, no investigation
  (so its hours fall in sprint 0, the sprint it was filed in).

With a dedicated team of 2, a 25% penalty on hours and 50% on mitigation (the defaults):

total ownership: both teams are on duty all the time and reserve 20% x 160 = 32 h a sprint;
  Alpha works 3 h and Beta 4 h in sprint 0, inside their reserve, so each team-sprint loses
  32 h: 128 h of 640 = 20.0%. Two people on call at once.
dedicated: 2 people taken by size (2:2), one from each team: each product team loses one
  person's 80 h a sprint, 320 h of 640 = 50.0%. The dedicated team works (2 + 1 + 4) x 1.25 =
  8.75 h (1.75 h penalty); it mitigates I1 in 90 min and I2 in 45 (mean 67.5); 3 switches.
rotating: no rotation configured, so the owning product teams take 2-sprint shifts in name
  order from sprint 0: Alpha is on shift in sprints 0 and 1 and reserves 2 x 32 = 64 h (10.0%);
  it works 2 + 1 + 4 x 1.25 = 8 h; 1 switch (B1); mitigation as owner (mean 45 min).

Standby: every pool has one person on call for 28 x 24 = 672 h in weekly turns from 1 Jan:
weeks 0 and 2 for the first person, 1 and 3 for the second, so 336 h each, 14 nights and two
weekends (96 h). I2 (week 0) pages the first person of whoever handles it, at night.
"""

import dataclasses
import datetime

import pytest

from reports.records import BugRecord, IncidentRecord, TeamRotationInfo, TeamShift
from reports.replay import ReplayParameters, compare

from .factories import at, data, person, team

ALPHA, BETA, OPS, HELP = 1, 2, 3, 4
HOUR = datetime.timedelta(hours=1)
WITHOUT_FIRST_LINE = {"dedicated_size": 2, "first_line": (False,)}


def incident(id, created, component, owner, *, logged=None, mitigated=None, kind="", resolved):
    return IncidentRecord(
        id=id, created_at=created, severity="SEV2", urgency="interrupting",
        component_id=component, owning_team_id=owner, responding_team_id=owner,
        acknowledged_at=created, mitigated_at=mitigated, mitigation_kind=kind,
        resolved_at=resolved, logged_minutes=logged,
    )  # fmt: skip


def organisation(first=1, last=28, **records):
    teams = [
        team(ALPHA, "alpha", [11, 12]),
        team(BETA, "beta", [21, 22]),
        dataclasses.replace(team(OPS, "ops", [31], owns=False), kind="operations"),
        dataclasses.replace(team(HELP, "help", [41], owns=False), kind="support"),
    ]
    people = [person(u, f"p{u}", [u // 10]) for u in (11, 12, 21, 22, 31, 41)]
    return data(teams=teams, people=people, first=first, last=last, **records)


@pytest.fixture
def example():
    return organisation(
        incidents=[
            incident(1, at(2, 10), 100, ALPHA, logged=120, mitigated=at(2, 11),
                     kind="rollback", resolved=at(2, 12)),
            incident(2, at(6, 3), 100, ALPHA, logged=60, mitigated=at(6, 3, 30),
                     kind="hotfix", resolved=at(6, 4)),
        ],
        bugs=[BugRecord(1, at(3, 10), BETA, 200, BETA, logged_minutes=240)],
    )  # fmt: skip


def scenarios(result):
    return {s.key: s for s in result.scenarios}


def rows(scenario):
    return {row.team: row for row in scenario.teams}


def test_every_model_is_charged_reserved_capacity_not_only_logged_hours(example):
    got = scenarios(compare(example, ReplayParameters(**WITHOUT_FIRST_LINE)))
    ownership, dedicated, rotating = got["ownership"], got["dedicated"], got["rotating"]
    assert (ownership.interrupt_hours, ownership.reserved_hours) == (7.0, 128.0)
    assert (ownership.lost_hours, ownership.capacity_lost_percent) == (128.0, 20.0)
    assert (dedicated.reserved_hours, dedicated.capacity_lost_percent) == (320.0, 50.0)
    assert (rotating.interrupt_hours, rotating.reserved_hours) == (8.0, 64.0)
    assert rotating.capacity_lost_percent == 10.0
    # Per team and sprint: Alpha keeps its 32 h under ownership although it worked 3 h.
    alpha = [r for r in ownership.loads if r.team == "alpha"]
    assert [(r.sprint, r.hours, r.reserved_hours, r.lost_hours) for r in alpha] == [
        (0, 3.0, 32.0, 32.0), (1, 0.0, 32.0, 32.0)
    ]  # fmt: skip


def test_every_model_is_charged_its_standby_per_engineer(example):
    got = scenarios(compare(example, ReplayParameters(**WITHOUT_FIRST_LINE)))
    ownership, dedicated, rotating = got["ownership"], got["dedicated"], got["rotating"]
    assert (ownership.oncall_at_once, dedicated.oncall_at_once, rotating.oncall_at_once) == (
        2, 1, 1
    )  # fmt: skip
    for scenario in (ownership, dedicated, rotating):
        assert scenario.standby_hours_per_engineer == 336.0
        assert scenario.nights_on_call_per_engineer == 14.0
        assert scenario.weekend_hours_per_engineer == 96.0
    # I2's night page: one of four people on call under ownership, one of two otherwise.
    assert (ownership.ooh_pages_per_person, ownership.nights_woken_per_engineer) == (0.25, 0.25)
    assert (dedicated.ooh_pages_per_person, dedicated.max_nights_woken_person) == (0.5, 1)
    assert rotating.ooh_pages_per_person == 0.5
    burden = {p.person: p for p in ownership.people}
    assert (burden["p11"].oncall_hours, burden["p11"].nights_woken) == (336.0, 1)
    assert (burden["p22"].oncall_hours, burden["p22"].pages) == (336.0, 0)


def test_handling_a_component_one_does_not_own_costs_hours_and_time(example):
    got = scenarios(compare(example, ReplayParameters(**WITHOUT_FIRST_LINE)))
    dedicated = got["dedicated"]
    assert (dedicated.interrupt_hours, dedicated.penalty_hours) == (8.75, 1.75)
    assert (dedicated.mttm_minutes, dedicated.context_switches) == (67.5, 3)
    assert (got["ownership"].penalty_hours, got["ownership"].mttm_minutes) == (0.0, 45.0)
    assert rows(got["rotating"])["alpha"].penalty_hours == 1.0  # B1's 4 h x 25%
    # The penalty is a parameter: without it, a non-owner costs what the owner did.
    free = ReplayParameters(**WITHOUT_FIRST_LINE, penalty_percent=0, mitigation_penalty_percent=0)
    dedicated = scenarios(compare(example, free))["dedicated"]
    assert (dedicated.interrupt_hours, dedicated.penalty_hours, dedicated.mttm_minutes) == (
        7.0, 0.0, 45.0
    )  # fmt: skip


def test_the_dedicated_teams_people_come_out_of_the_product_teams(example):
    got = scenarios(compare(example, ReplayParameters(**WITHOUT_FIRST_LINE)))
    dedicated = rows(got["dedicated"])
    assert (dedicated["alpha"].reserved_hours, dedicated["alpha"].share_percent) == (160.0, 50.0)
    assert dedicated["beta"].lost_hours == 160.0
    # Its own load: everything on two people.
    team = dedicated["dedicated"]
    assert (team.people, team.hours, team.capacity_hours) == (2, 8.75, 320.0)  # 2 x 80 h x 2
    assert team.standby_hours_per_engineer == 336.0
    seats = {p.person: p for p in got["dedicated"].people}
    assert set(seats) == {"dedicated-1", "dedicated-2"}
    assert (seats["dedicated-1"].interrupt_hours, seats["dedicated-1"].nights_woken) == (4.4, 1)
    assert got["dedicated"].interrupt_hours_per_engineer == 4.4  # 8.75 h over 2 people
    # As configured: both people from Alpha, which then loses 2 x 80 h a sprint.
    params = ReplayParameters(first_line=(False,), dedicated_from=(("alpha", 2),))
    configured = rows(scenarios(compare(example, params))["dedicated"])
    assert (configured["alpha"].lost_hours, configured["beta"].lost_hours) == (320.0, 0.0)


def test_capacity_counts_product_teams_only(example):
    got = scenarios(compare(example, ReplayParameters(**WITHOUT_FIRST_LINE)))
    for scenario in got.values():
        assert scenario.product_capacity_hours == 640.0
    ownership = rows(got["ownership"])
    assert (ownership["ops"].product, ownership["help"].product) == (False, False)
    assert (ownership["alpha"].product, ownership["ops"].capacity_hours) == (True, 160.0)


def test_a_first_line_takes_the_pages_and_the_mitigations(example):
    params = ReplayParameters(first_line_size=1, models=("ownership",), first_line=(True,))
    (scenario,) = compare(example, params).scenarios
    assert scenario.key == "ownership+first-line"
    # First line: I1's hour until the rollback, and a quarter hour of triage for I2; Alpha
    # gets I1's other hour as planned work and I2 (escalated, paged at night) in full.
    got = rows(scenario)
    assert (got["first-line"].hours, got["alpha"].hours, got["beta"].hours) == (1.25, 2.0, 4.0)
    assert (scenario.pages, scenario.pages_out_of_hours, scenario.oncall_people) == (3, 2, 5)
    # Four people hold 336 h each and the one-person first line 672 h: weighted by their part,
    # (4 x 336 + 672)^2 / (4 x 336^2 + 672^2) = 2016^2 / 903168 = 4.5 engineers share the duty,
    # each carrying 2016 / 4.5 = 448 h; 2 out-of-hours pages over 4.5 engineers = 0.44.
    assert (scenario.engineers_sharing, scenario.standby_hours_per_engineer) == (4.5, 448.0)
    assert scenario.ooh_pages_per_person == 0.44
    assert scenario.mttm_minutes == 52.5  # I1 60 by the first line, I2 30 + 15 of triage
    assert scenario.context_switches == 2


@pytest.fixture
def rotation_example():
    """Beta, then Alpha, in one-sprint shifts handed over on Mondays at 09:00.

    X0 Mon 1 Jan 08:00 (before the first handoff: nobody on shift), Alpha's component, 30 min;
    X1 Tue 2 Jan 10:00, Alpha's component, 1 h: Beta is on shift;
    X2 Tue 16 Jan 10:00, Beta's component, 1 h: Alpha is on shift.
    In name order from the period's start (the old rule) Alpha would take sprint 0.
    """
    rotation = TeamRotationInfo(
        id=9, name="Support shift", policy="Rotating support", participants=(BETA, ALPHA),
        shift_sprints=1, shift_length="1 sprints", start=at(1, 9),
        shifts=(TeamShift(BETA, at(1, 9), at(15, 9)), TeamShift(ALPHA, at(15, 9), at(29, 9))),
    )  # fmt: skip
    incidents = [
        incident(10, at(1, 8), 100, ALPHA, logged=30, resolved=at(1, 8, 30)),
        incident(11, at(2, 10), 100, ALPHA, logged=60, resolved=at(2, 11)),
        incident(12, at(16, 10), 200, BETA, logged=60, resolved=at(16, 11)),
    ]
    return {"incidents": incidents, "team_rotation": rotation}


def test_the_rotating_scenario_replays_the_configured_rotation(rotation_example):
    params = ReplayParameters(models=("rotating",), first_line=(False,))
    result = compare(organisation(**rotation_example), params)
    (rotating,) = result.scenarios
    got = rows(rotating)
    # Alpha: X0 (owner, outside any shift) and X2 x 1.25; Beta: X1 x 1.25.
    assert (got["alpha"].incidents, got["alpha"].hours, got["alpha"].context_switches) == (
        2, 1.75, 1
    )  # fmt: skip
    assert (got["beta"].incidents, got["beta"].hours) == (1, 1.25)
    assert rotating.off_rotation == 1
    assert result.rotation["mode"] == "configured"
    assert any("Support shift" in text for text in result.assumptions)


def test_the_rotating_scenario_does_not_depend_on_the_periods_start(rotation_example):
    """From 15 January, old rule: Alpha would take sprint 1 (it came first); still Alpha."""
    params = ReplayParameters(models=("rotating",), first_line=(False,))
    later = organisation(first=15, **rotation_example)
    (rotating,) = compare(later, params).scenarios
    got = rows(rotating)
    assert (got["alpha"].incidents, got["alpha"].hours, got["beta"].incidents) == (1, 1.25, 0)
    # A what-if length keeps the configured order and start: two-sprint shifts from sprint 0
    # give Beta both sprints, whichever sprint the period starts with.
    what_if = ReplayParameters(models=("rotating",), first_line=(False,), rotation_sprints=2)
    for period in (organisation(**rotation_example), later):
        (rotating,) = compare(period, what_if).scenarios
        assert rows(rotating)["alpha"].incidents == 0


def test_an_unlogged_overnight_incident_is_charged_working_hours_and_marked_estimated():
    """I3 Tue 16 Jan 23:00 to Wed 17 Jan 15:00 (16 h of clock, no minutes logged): the working
    hours between are Wednesday 09:00-15:00, 6 h (the old rule said min(16, 8) = 8 h).

    B2's investigation ran Thu 11 Jan 13:00 to Tue 16 Jan 12:00: Thursday 4 h and Friday 8 h
    in sprint 0, Monday 8 h and Tuesday 3 h in sprint 1 (the old rule put 23 h in sprint 0).
    """
    history = organisation(
        incidents=[incident(3, at(16, 23), 200, BETA, resolved=at(17, 15))],
        bugs=[BugRecord(2, at(10, 10), BETA, 200, BETA, investigation_started_at=at(11, 13),
                        investigation_finished_at=at(16, 12))],
    )  # fmt: skip
    result = compare(history, ReplayParameters(models=("ownership",), first_line=(False,)))
    (ownership,) = result.scenarios
    beta = [r for r in ownership.loads if r.team == "beta"]
    assert [(r.sprint, r.hours, r.estimated_hours) for r in beta] == [
        (0, 12.0, 12.0), (1, 17.0, 17.0)
    ]  # fmt: skip
    assert result.estimated_incidents == 1
    assert any("estimated" in text and "at most 8 h" in text for text in result.assumptions)


def test_an_estimate_counts_the_responding_teams_working_hours_across_a_dst_change():
    """New York springs forward on Sunday 10 March 2024. Acknowledged Friday 8 March 16:00
    EST (21:00 UTC), resolved Monday 11 March 10:00 EDT (14:00 UTC): Friday 16-17 and Monday
    09-10 local, 2 working hours, where the clock says 65 h."""
    ny = team(5, "ny", [51], tz="America/New_York")
    march = datetime.date(2024, 3, 4), datetime.date(2024, 3, 17)
    history = data(
        teams=[ny], first=march[0], last=march[1],
        incidents=[incident(4, at(8, 21, month=3), 500, 5, resolved=at(11, 14, month=3))],
    )  # fmt: skip
    params = ReplayParameters(models=("ownership",), first_line=(False,))
    (ownership,) = compare(history, params).scenarios
    assert ownership.interrupt_hours == ownership.estimated_hours == 2.0


def test_the_replay_is_deterministic_and_lists_its_assumptions_with_numbers(example):
    first, second = compare(example), compare(example)
    assert dataclasses.asdict(first) == dataclasses.asdict(second)
    assert len(first.scenarios) == 6
    text = " ".join(first.assumptions)
    assert "a standing team of 4 people" in text  # the dedicated team's default size
    assert "Alpha 2, Beta 2 people" in text  # taken by size
    assert "25% more hours" in text and "50%" in text  # the penalties
    assert "Alpha, Beta, Help, Ops 20%" in text  # the buffers
    assert "not Help, Ops" in text  # what capacity leaves out


def test_team_filter_keeps_the_teams_rows_only(example):
    example.team_id = BETA
    result = compare(example, ReplayParameters(first_line=(False,)))
    for scenario in result.scenarios:
        assert {row.team for row in scenario.teams} == {"beta"}
        assert {row.team for row in scenario.loads} == {"beta"}
        assert {row.team for row in scenario.people} <= {"beta"}
    assert scenarios(result)["ownership"].interrupt_hours == 7.0  # the summary stays whole


def test_nothing_recorded():
    history = data(teams=[team(1, "alpha", [11])], first=1, last=14)
    result = compare(history, ReplayParameters(dedicated_size=1))
    ownership = scenarios(result)["ownership"]
    assert (ownership.interrupt_hours, ownership.people_interrupted, ownership.pages) == (0, 0, 0)
    assert ownership.capacity_lost_percent == 20.0  # the buffer it keeps, used or not
    assert scenarios(result)["dedicated"].capacity_lost_percent == 100.0  # its one person
