"""Documented ownership rules that only these tests decide.

* Path lookup rule 3 (README "Path lookup rules"): at equal literal characters and wildcards,
  a glob naming a file beats one naming a directory, even when the directory's glob sorts
  first alphabetically (rule 4 would pick it).
* Two owner changes at the same instant (``ownership.services.ownership_recompute``): the
  open period has no length yet, so the second change corrects it instead of closing it. The
  record keeps no zero-length period; the lookup at that instant answers the last owner.
"""

import datetime

import pytest

from ownership import services
from ownership.models import OwnershipPeriod

from .factories import ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_a_glob_naming_a_file_beats_one_naming_a_directory_of_equal_weight(user_client):
    # Worked out on paper for the path templates/README.md:
    #   "/templates/"  literal t-e-m-p-l-a-t-e-s = 9, wildcards 0, names a directory;
    #   "README.md"    literal R-E-A-D-M-E-.-m-d = 9, wildcards 0, names a file (no slash: any
    #                  depth).
    # Rules 1 and 2 tie; rule 3 gives it to the file. Rule 4 alone would have picked
    # "/templates/" ("/" sorts before "R"), so the answer is decided by rule 3 only.
    docs = TeamFactory(slug="docs")
    web = TeamFactory(slug="web")
    ComponentFactory(slug="site-templates", owner_team=web, paths=["/templates/"])
    ComponentFactory(slug="readmes", owner_team=docs, paths=["README.md"])

    response = user_client.get("/api/v1/ownership/?path=templates/README.md")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["matched_pattern"], body["component"]["slug"], body["effective_owner_team"]) == (
        "README.md",
        "readmes",
        "docs",
    )
    # Anything else below templates/ is the directory's: README.md does not match it.
    other = user_client.get("/api/v1/ownership/?path=templates/base.html").json()
    assert other["matched_pattern"] == "/templates/"


def test_two_owner_changes_at_one_instant_leave_the_last_owner_and_no_empty_period(user_client):
    # On paper: Billing is owned by alpha from 1 March 09:00 UTC. At 10 March 12:00 UTC two
    # changes land at the same instant, first to beta, then to gamma. beta's period would last
    # no time at all, so it is corrected into gamma's: the history (newest first) is
    #   gamma 10 Mar 12:00 - open
    #   alpha  1 Mar 09:00 - 10 Mar 12:00
    # and "who owned Billing at 10 March 12:00" is gamma; a microsecond before, alpha.
    alpha, beta, gamma = (TeamFactory(slug=s) for s in ("alpha", "beta", "gamma"))
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    instant = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    billing = ComponentFactory(slug="billing", owner_team=alpha, at=start)

    services.component_update(component=billing, owner_team=beta, at=instant, note="to beta")
    services.component_update(component=billing, owner_team=gamma, at=instant, note="to gamma")

    history = user_client.get("/api/v1/components/billing/history/").json()["results"]
    assert [(p["team"], p["valid_from"], p["valid_to"], p["note"]) for p in history] == [
        ("gamma", "2026-03-10T12:00:00Z", None, "to gamma"),
        ("alpha", "2026-03-01T09:00:00Z", "2026-03-10T12:00:00Z", "created"),
    ], history
    assert not OwnershipPeriod.objects.filter(team=beta).exists()

    at_instant = user_client.get("/api/v1/components/billing/owner/?at=2026-03-10T12:00:00Z")
    assert at_instant.status_code == 200
    assert at_instant.json()["team"] == "gamma"
    just_before = user_client.get(
        "/api/v1/components/billing/owner/?at=2026-03-10T11:59:59.999999Z"
    )
    assert just_before.json()["team"] == "alpha"
