"""The report pages: sign-in, charts with their numbers beside them, CSV links, the form."""

import datetime
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.incidents.factories import IncidentFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.rota.factories import RotationFactory, ShiftFactory

UTC = datetime.UTC
PERIOD = {"from": "2024-01-01", "to": "2024-01-28"}
PAGES = ("reports-load", "reports-fairness", "reports-incidents", "reports-model-comparison")


@pytest.fixture
def signed_in(client, db):
    team = TeamFactory(slug="alpha", name="Alpha")
    ann = MembershipFactory(team=team, user__username="ann").user
    MembershipFactory(team=team, user__username="bob")
    component = ComponentFactory(slug="api", name="API", owner_team=team)
    rotation = RotationFactory(team=team)
    start = datetime.datetime(2024, 1, 8, 9, tzinfo=UTC)
    ShiftFactory(rotation=rotation, user=ann, start=start, end=start + datetime.timedelta(days=7))
    created = datetime.datetime(2024, 1, 9, 23, tzinfo=UTC)
    IncidentFactory(
        component=component, created_at=created, responder=ann, severity="SEV1",
        acknowledged_at=created + datetime.timedelta(minutes=4),
        resolved_at=created + datetime.timedelta(hours=1), status="resolved",
    )  # fmt: skip
    client.force_login(ann)
    return client


@pytest.mark.parametrize("name", ["reports-index", *PAGES])
def test_pages_need_a_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_index_lists_the_reports(signed_in):
    body = signed_in.get(reverse("reports-index")).content.decode()
    for name in PAGES:
        assert reverse(name) in body


@pytest.mark.parametrize("name", PAGES)
def test_every_page_draws_charts_with_tables_and_csv_links(signed_in, name):
    response = signed_in.get(reverse(name), PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and 'role="img"' in body
    assert "<table" in body
    assert "format=csv" in body
    assert 'value="2024-01-01"' in body  # the form shows the period


def test_the_csv_link_carries_the_filters(signed_in):
    body = signed_in.get(reverse("reports-load"), {**PERIOD, "team": "alpha"}).content.decode()
    assert "team=alpha" in body
    assert f"{reverse('report-load')}?from=2024-01-01&amp;to=2024-01-28&amp;team=alpha" in body


def test_load_page_shows_the_buffer_per_sprint(signed_in):
    body = signed_in.get(reverse("reports-load"), PERIOD).content.decode()
    assert "Alpha: buffer used per sprint" in body
    assert "S0" in body and "S1" in body


def test_fairness_page_shows_hours_per_person(signed_in):
    body = signed_in.get(reverse("reports-fairness"), PERIOD).content.decode()
    assert "Alpha: hours on call per person" in body
    assert "ann: 168 h" in body


def test_incident_page_shows_times_by_severity(signed_in):
    body = signed_in.get(reverse("reports-incidents"), PERIOD).content.decode()
    assert "By severity" in body and "SEV1: 60 min" in body


def test_comparison_page_has_its_form_and_states_its_assumptions(signed_in):
    params = {**PERIOD, "dedicated_size": 3, "first_line": "with", "weight_standby": 5}
    body = signed_in.get(reverse("reports-model-comparison"), params).content.decode()
    assert 'name="dedicated_size"' in body and 'value="3"' in body
    assert 'name="rotation_sprints"' in body and 'name="first_line_size"' in body
    for name in ("penalty_percent", "mitigation_penalty_percent", "buffer_percent",
                 "dedicated_from", "weight_capacity", "sensitivity_incident_factor"):  # fmt: skip
        assert f'name="{name}"' in body, name
    assert 'name="weight_standby" value="5"' in body and 'name="weight_capacity" value="3"' in body
    assert "Assumptions" in body and "a standing team of 3 people" in body
    assert "Total ownership with first line" in body
    assert "Dedicated support team with first line" in body
    assert "<td>Dedicated support team</td>" not in body  # only the first-line variants


def test_comparison_page_leads_with_the_decision_summary(signed_in):
    """One team owns everything: its rotating shift is always its own, so total ownership
    and rotating support cost the same and tie; the dedicated team of 4 taken from a team of
    two costs more capacity than either."""
    params = {**PERIOD, "first_line": "without"}
    body = signed_in.get(reverse("reports-model-comparison"), params).content.decode()
    summary = body.index("Decision summary")
    assert summary < body.index("Burden per engineer") < body.index("Assumptions</h2>")
    assert "Tie for first place: Total ownership and Rotating support team" in body
    assert "1= Total ownership, Rotating support team (tie)" in body
    assert "Best: Total ownership" not in body  # a tie is never announced as a winner
    assert "Tied best: Total ownership, Rotating support team" in body
    assert "Does the ranking hold?" in body and "If incidents were ×2" in body
    assert "On-call hours per engineer on call" in body
    assert "format=csv&amp;table=decision" in body


def linked_css(body):
    """Return the report stylesheet the page links (no inline style: the CSP forbids it)."""
    assert '<link rel="stylesheet" href="/static/reports/reports.css">' in body
    return Path(finders.find("reports/reports.css")).read_text()


def test_the_comparison_prints_cleanly(signed_in):
    body = signed_in.get(reverse("reports-model-comparison"), PERIOD).content.decode()
    css = linked_css(body)
    style = css[css.index("@media print") :]
    for hidden in ("header.top", ".report-filters", ".csv", ".no-print"):
        assert hidden in style.split("display: none")[0], hidden
    assert "break-inside: avoid" in style and "table-header-group" in style
    assert "data-print" in body


def test_bad_comparison_settings_are_explained_on_the_page(signed_in):
    params = {**PERIOD, "weight_capacity": -2, "dedicated_from": "alpha:x"}
    response = signed_in.get(reverse("reports-model-comparison"), params)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<strong>weight_capacity</strong>" in body and "<strong>dedicated_from</strong>" in body


def test_bad_filters_are_explained_on_the_page(signed_in):
    response = signed_in.get(reverse("reports-load"), {"from": "someday", "team": "nobody"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please correct the filters" in body
    assert "<strong>from</strong>" in body and "<strong>team</strong>" in body


@pytest.mark.parametrize("name", PAGES)
def test_extreme_dates_are_explained_on_the_page(signed_in, name):
    for params in ({"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-05"}):
        response = signed_in.get(reverse(name), params)
        assert response.status_code == 400
        body = response.content.decode()
        assert "Please correct the filters" in body and "2000" in body


def test_the_printed_comparison_names_its_settings_on_the_first_page(signed_in):
    body = signed_in.get(
        "/reports/model-comparison/", {"penalty_percent": "50", "from": "2024-01-01"}
    ).content.decode()
    block = body.index('class="print-only settings"')
    assert "penalty_percent=50" in body[block : block + 400]
    # Above the decision summary: on the first printed page, not after 30 pages of tables.
    assert block < body.index('id="decision"')
    assert ".print-only { display: block; }" in linked_css(body)
