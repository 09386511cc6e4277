"""When the decision summary may rank the support models, and what it says when it may not.

The organisation of test_comparison_data: Alpha owns the API, Beta the web site, both on a
rotating support shift; X1 (API, Tuesday 2 January 2024) and X2 (web site, Tuesday
16 January), an hour logged each, and no bug. Sprints of two weeks from 1 January.

* Unfiltered, 1-28 January: 2 incidents, 0 bugs; every model is charged every team's standby
  and buffers against both incidents, so a ranking is drawn ("... ranks first").
* ``component=api``: only X1 (1 incident) is replayed, but standby and reserved capacity are
  still every team's for four weeks: the totals mix two scopes, so no verdict, no ranking, no
  sensitivity, and a note saying why; the scenarios keep their per-measure values.
* ``team=alpha``: every incident is still replayed; the verdict stays organisation-wide and
  the note says the rows are Alpha's only.
* 4-17 March (sprints 4 and 5): 0 incidents, 0 bugs: nothing to replay, no ranking.
"""

from django.urls import reverse

from ownership.models import Membership

from .test_comparison_data import organisation  # noqa: F401 - the shared fixture

JANUARY = {"from": "2024-01-01", "to": "2024-01-28"}
MARCH = {"from": "2024-03-04", "to": "2024-03-17"}
NOTHING = "Nothing to replay in this period (0 incidents, 0 bugs): no ranking."


def comparison(client, **params):
    response = client.get(reverse("report-model-comparison"), params)
    assert response.status_code == 200, response.content
    return response.json()


def test_unfiltered_the_models_are_ranked(user_client, organisation):  # noqa: F811
    body = comparison(user_client, **JANUARY)
    assert (body["incidents"], body["bugs"]) == (2, 0)
    assert body["decision"]["verdict"].endswith("first with these weights.")
    assert body["decision"]["ranking"] and body["decision"]["note"] is None


def test_a_component_filter_announces_no_ranking(user_client, organisation):  # noqa: F811
    body = comparison(user_client, **JANUARY, component="api")
    assert (body["incidents"], body["bugs"]) == (1, 0)
    summary = body["decision"]
    assert summary["verdict"] is None and summary["best"] is None
    assert summary["ranking"] == [] and summary["sensitivity"] == []
    assert "A ranking compares whole organisations" in summary["note"]
    assert "only without the component filter" in summary["note"]
    assert all(row["overall"] is None and row["rank"] == 0 for row in summary["rows"])
    # The per-measure values stay: six scenarios, each with its capacity lost.
    assert len(body["scenarios"]) == 6
    assert all(s["capacity_lost_percent"] is not None for s in body["scenarios"])
    assert all(s["overall_score"] is None for s in body["scenarios"])


def test_a_team_filter_keeps_the_organisation_wide_ranking_and_says_so(
    user_client,
    organisation,  # noqa: F811
):
    whole = comparison(user_client, **JANUARY)["decision"]
    alpha = comparison(user_client, **JANUARY, team="alpha")["decision"]
    assert (alpha["verdict"], alpha["ranking"]) == (whole["verdict"], whole["ranking"])
    assert alpha["note"] == (
        "Rows for Alpha only; the ranking compares whole organisations and stays organisation-wide."
    )


def test_nothing_to_replay_is_no_ranking(user_client, organisation):  # noqa: F811
    body = comparison(user_client, **MARCH)
    assert (body["incidents"], body["bugs"]) == (0, 0)
    summary = body["decision"]
    assert (summary["verdict"], summary["ranking"], summary["note"]) == (None, [], NOTHING)


def test_the_page_shows_the_note_instead_of_a_verdict(client, organisation):  # noqa: F811
    client.force_login(Membership.objects.get(user__username="ann").user)
    url = reverse("reports-model-comparison")
    body = client.get(url, {**JANUARY, "component": "api"}).content.decode()
    assert "A ranking compares whole organisations" in body
    assert "ranks first" not in body and "Tie for first place" not in body
    assert "Does the ranking hold?" not in body
    body = client.get(url, MARCH).content.decode()
    assert NOTHING in body and "ranks first" not in body
    body = client.get(url, JANUARY).content.decode()
    assert "ranks first" in body or "Tie for first place" in body
