"""Reports run a fixed number of queries, however much history there is.

The counts are pinned on an organisation of four people with a quarter of history, then
checked again after adding two years of history for forty people (weekly shifts, overrides,
leave, 8,000 incidents with their pages, 1,500 bugs): the same queries answer both.
"""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.reports import synthetic_history

END = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
PERIOD = {"from": "2024-01-06", "to": "2026-01-04"}
# cadence, teams, memberships, leave and holidays, components, incidents (and the bugs of their
# owning teams, a second query), pages, bugs
# (+ who takes turns, person rotations, their shifts and their overrides for fairness;
# + who takes turns and the rotating support policy for the model comparison, and with such a
# policy its rotation's teams, shifts and overrides)
PINNED = {
    "report-load": 9,
    "report-fairness": 13,
    "report-incidents": 9,
    "report-model-comparison": 11,
}
PAGES = ("reports-load", "reports-fairness", "reports-incidents", "reports-model-comparison")


def counts(user_client, client) -> dict:
    found = {}
    for name, params in [(n, PERIOD) for n in PINNED] + [
        ("report-load", {**PERIOD, "format": "csv"}),
        ("report-incidents", {**PERIOD, "team": "big-team-1", "component": "big-component-1"}),
    ]:
        with CaptureQueriesContext(connection) as queries:
            response = user_client.get(reverse(name), params)
        assert response.status_code == 200, response.content[:500]
        found[name, tuple(params)] = len(queries)
    for name in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name), PERIOD)
        assert response.status_code == 200
        found[name] = len(queries)
    return found


def test_reports_over_two_years_for_forty_people_run_the_same_queries(
    user_client, client, user
):  # fmt: skip
    client.force_login(user)
    synthetic_history(people=4, teams=2, years=0.25, incidents=30, bugs=10, end=END,
                      prefix="small")  # fmt: skip
    synthetic_history(people=2, teams=2, years=0.02, incidents=1, bugs=1, end=END, prefix="big")
    small = counts(user_client, client)
    for name, pinned in PINNED.items():
        assert small[name, ("from", "to")] == pinned, name
    synthetic_history(people=40, teams=8, years=2, incidents=8000, bugs=1500, end=END,
                      prefix="large")  # fmt: skip
    assert counts(user_client, client) == small
