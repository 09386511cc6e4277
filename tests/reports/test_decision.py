"""The decision summary on the hand-computed history of test_replay.

Decision measures of the three models there (dedicated team of 2, no first line):

    model       capacity lost  on-call h/engineer  ooh pages/engineer  mitigate  switches
    ownership        20.0            336                 0.25            45.0        0
    dedicated        50.0            336                 0.5             67.5        3
    rotating         10.0            336                 0.5             45.0        1

Scores (value over the worst) and the default weights 3, 2, 2, 2, 1 (sum 10):

    ownership  (3 x 0.4 + 2 x 1 + 2 x 0.5 + 2 x 45/67.5 + 1 x 0) / 10 = 5.533 / 10 = 0.553
    dedicated  (3 + 2 + 2 + 2 + 1) / 10 = 1.0
    rotating   (3 x 0.2 + 2 x 1 + 2 x 1 + 2 x 45/67.5 + 1 x 1/3) / 10 = 6.267 / 10 = 0.627

so ownership ranks first. Weighing capacity alone: rotating 0.2, ownership 0.4, dedicated 1.
Weighing context switches alone: ownership 0, rotating 1/3, dedicated 1.
"""

import pytest

from reports.decision import DEFAULT_WEIGHTS, measure_groups
from reports.records import BugRecord
from reports.replay import ReplayParameters, compare

from .factories import at, data, person, team
from .test_replay import ALPHA, BETA, incident, organisation

BASE = {"dedicated_size": 2, "first_line": (False,)}
NONE = dict.fromkeys(DEFAULT_WEIGHTS, 0.0)


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


def test_default_weights_give_one_overall_ranking(example):
    summary = compare(example, ReplayParameters(**BASE)).decision
    overall = {row.scenario: row.overall for row in summary.rows}
    assert overall == {"ownership": 0.553, "dedicated": 1.0, "rotating": 0.627}
    assert summary.ranking == [["ownership"], ["rotating"], ["dedicated"]]
    assert summary.best == "ownership"
    assert summary.verdict == "Total ownership ranks first with these weights."
    assert summary.weights == DEFAULT_WEIGHTS


def test_the_weights_change_the_ranking_as_documented(example):
    capacity = ReplayParameters(**BASE, weights={**NONE, "capacity_lost_percent": 1.0})
    assert compare(example, capacity).decision.ranking == [
        ["rotating"], ["ownership"], ["dedicated"]
    ]  # fmt: skip
    switches = ReplayParameters(**BASE, weights={**NONE, "context_switches": 1.0})
    assert compare(example, switches).decision.ranking == [
        ["ownership"], ["rotating"], ["dedicated"]
    ]  # fmt: skip


def test_a_tie_reads_as_a_tie():
    """One team owning everything: its rotating shift is always its own, so rotating support
    and total ownership cost exactly the same."""
    alpha = team(1, "alpha", [11, 12])
    history = data(
        teams=[alpha], people=[person(11, "ann", [1]), person(12, "bob", [1])], first=1,
        last=28, incidents=[incident(1, at(2, 10), 100, 1, logged=60, resolved=at(2, 11))],
    )  # fmt: skip
    params = ReplayParameters(models=("ownership", "rotating"), first_line=(False,))
    result = compare(history, params)
    summary = result.decision
    assert summary.ranking == [["ownership", "rotating"]]
    assert summary.best is None
    assert summary.verdict.startswith("Tie for first place: Total ownership and Rotating")
    assert [(s.rank, s.tied) for s in result.scenarios] == [(1, True), (1, True)]
    assert result.ranking_ties["capacity_lost_percent"] == [["ownership", "rotating"]]


def test_measure_groups_tie_equal_values():
    assert measure_groups({"a": 1.0, "b": 1.0, "c": 0.5, "d": None}) == [["c"], ["a", "b"]]


def test_sensitivity_says_whether_the_ranking_holds(example):
    """With the default numbers nothing changes the default ranking (see test_replay: the
    reserves dwarf the interrupt work). Weighing capacity alone, rotating (10%) beats
    ownership (20%); with no buffer at all only the work counts: ownership 3 + 4 = 7 h of
    640 = 1.1%, rotating 8 h = 1.2%, dedicated still 50%. Scores 1.1/50 = 0.022 and
    1.2/50 = 0.024 are within 0.01: ownership and rotating tie, and the ranking changes."""
    lines = compare(example, ReplayParameters(**BASE)).decision.sensitivity
    assert [(line.key, line.changed) for line in lines] == [
        ("incidents", False), ("buffer", False), ("penalty", False)
    ]  # fmt: skip
    assert lines[1].label == "If every buffer were 10%"
    params = ReplayParameters(
        **BASE, weights={**NONE, "capacity_lost_percent": 1.0},
        sensitivity={"incident_factor": 2.0, "buffer_percent": 0.0, "penalty_factor": 2.0},
    )  # fmt: skip
    summary = compare(example, params).decision
    buffer = next(line for line in summary.sensitivity if line.key == "buffer")
    assert summary.best == "rotating"
    assert (buffer.best, buffer.changed) == (None, True)
    assert buffer.groups == [["ownership", "rotating"], ["dedicated"]]


def test_a_tie_chains_so_no_score_is_ranked_below_one_it_ties_with():
    """Capacity lost alone: 68.5, 69.4, 70.1 and 100 score 0.685, 0.694, 0.701 and 1.0.
    0.694 is within 0.01 of 0.685 and 0.701 within 0.01 of 0.694, so all three share first
    place (before: 0.701 was 3rd although it ties with 0.694); 1.0 is 4th."""
    from reports.decision import describe, rank

    weights = {**NONE, "capacity_lost_percent": 1.0}
    rows = [
        (key, key.upper(), {"capacity_lost_percent": value})
        for key, value in (("d", 100.0), ("c", 70.1), ("b", 69.4), ("a", 68.5))
    ]
    ranking = rank(rows, weights)
    assert ranking.groups == [["a", "b", "c"], ["d"]]
    assert {r.scenario: (r.overall, r.rank, r.tied) for r in ranking.rows} == {
        "a": (0.685, 1, True), "b": (0.694, 1, True), "c": (0.701, 1, True), "d": (1.0, 4, False)
    }  # fmt: skip
    assert describe(ranking.groups, {}) == "1= a, b, c (tie); 4. d"
    # 0.70 and 0.711 are 0.011 apart: no tie.
    apart = rank([("a", "A", {"capacity_lost_percent": 70.0}),
                  ("b", "B", {"capacity_lost_percent": 71.1}),
                  ("z", "Z", {"capacity_lost_percent": 100.0})], weights)  # fmt: skip
    assert apart.groups == [["a"], ["b"], ["z"]]


def test_within_a_tie_the_table_lists_the_models_as_the_sentence_does():
    """The tie of test_a_tie_reads_as_a_tie: the sentence says "1= Total ownership, Rotating
    support team (tie)"; the table listed Rotating first (by label) — now in the same order."""
    from types import SimpleNamespace

    from reports.comparison_page import decorate

    alpha = team(1, "alpha", [11, 12])
    history = data(
        teams=[alpha], people=[person(11, "ann", [1]), person(12, "bob", [1])], first=1,
        last=28, incidents=[incident(1, at(2, 10), 100, 1, logged=60, resolved=at(2, 11))],
    )  # fmt: skip
    params = ReplayParameters(models=("ownership", "rotating"), first_line=(False,))
    page = decorate(SimpleNamespace(report=compare(history, params)))["decision"]
    assert page["ranking"] == "1= Total ownership, Rotating support team (tie)"
    assert [row[:2] for row in page["table"]["rows"]] == [
        ["1=", "Total ownership"], ["1=", "Rotating support team"]
    ]  # fmt: skip


def test_the_overall_score_chart_shows_three_decimals_in_rank_order(example):
    """The example's scores: ownership 0.553, rotating 0.627, dedicated 1.0, ranked in that
    order (scenario order is ownership, dedicated, rotating). One decimal showed 0.6 and 0.6."""
    import re
    from types import SimpleNamespace

    from reports.comparison_page import decorate

    page = decorate(SimpleNamespace(report=compare(example, ReplayParameters(**BASE))))
    chart = str(page["decision"]["chart"])
    shown = re.findall(r'<text x="[\d.]+" y="\d+" [^>]*>([^<]+)</text>', chart)
    assert shown == [
        "Total ownership", "0.553", "Rotating support team", "0.627",
        "Dedicated support team", "1",
    ]  # fmt: skip


def test_sensitivity_flags_only_a_change_of_first_place(example):
    """Weighing context switches alone: ownership 0, rotating 1/3 = 0.333, dedicated 1. If
    incidents doubled, the switches double too (0, 2, 6 → 0, 0.333, 1): nothing changes. With
    capacity alone and no buffer (test_sensitivity_says_whether_the_ranking_holds) first
    place goes from rotating to a tie of ownership and rotating: the red warning. Weighing
    switches alone with no buffer keeps ownership first (0 switches whatever the buffer)."""
    from types import SimpleNamespace

    from reports.comparison_page import decorate

    def page(weights):
        params = ReplayParameters(
            **BASE, weights={**NONE, **weights},
            sensitivity={"incident_factor": 2.0, "buffer_percent": 0.0, "penalty_factor": 2.0},
        )  # fmt: skip
        return decorate(SimpleNamespace(report=compare(example, params)))["decision"]

    capacity = page({"capacity_lost_percent": 1.0})
    buffer = next(line for line in capacity["sensitivity"] if "buffer" in line["label"])
    assert (buffer["first_changed"], buffer["order_changed"]) == (True, False)
    assert capacity["robust"] is False
    switches = page({"context_switches": 1.0})
    assert not any(line["first_changed"] for line in switches["sensitivity"])
    assert switches["robust"] is True
