"""Imported incidents on the portal: marked as imported, quiet, and out of the live lists."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident
from tests.incidents.factories import IncidentFactory
from tests.ownership.factories import UserFactory

from .incident_world import run_import, world_fixture  # noqa: F401 (fixture)

# One Grafana alert group still "new" (triggered) on checkout, owned by payments.
GROUP = {
    "id": "IG7",
    "title": "Checkout 5xx burst",
    "state": "new",
    "created_at": "2026-03-01T10:00:00Z",
    "integration_id": "INT1",
}


@pytest.fixture
def imported(world):
    run_import(
        "grafana-oncall-alert-groups",
        json.dumps({"results": [GROUP]}).encode(),
        mapping={"INT1": "checkout"},
    )
    return Incident.objects.get(source_id="IG7")


@pytest.fixture
def client(db):
    client = Client()
    client.force_login(UserFactory())
    return client


def test_the_incident_page_says_imported_and_offers_no_paging(imported, client):
    html = client.get(reverse("portal-incident", args=[imported.pk])).content.decode()
    assert "Imported from Grafana OnCall</span>" in html
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert f"Imported from Grafana OnCall (alert group IG7) on {today}." in html
    # Triggered, yet nothing about paging or Rota's routing: it is history.
    for live in ("stops the paging", "nobody was on call", ">Acknowledge<", "Mark mitigated"):
        assert live not in html
    assert "<dt>Source</dt><dd>Grafana OnCall: IG7</dd>" in html


def test_imported_incidents_stay_out_of_the_live_open_lists(world, imported, client):
    live = IncidentFactory(component=world["checkout"], title="Live outage")
    # Default list: open incidents, live ones only.
    html = client.get(reverse("portal-incidents")).content.decode()
    assert "Live outage" in html and "Checkout 5xx burst" not in html
    # Asked for, imported incidents are listed with their badge.
    html = client.get(reverse("portal-incidents"), {"state": "imported"}).content.decode()
    assert 'Checkout 5xx burst</a> <span class="badge imported">Imported from Grafana' in html
    assert "Live outage" not in html

    # Both are payments' (checkout's owner); only the live one is the team's open work.
    team = client.get(reverse("portal-team", args=["payments"]))
    assert [i.pk for i in team.context["open_incidents"]] == [live.pk]
    assert "Checkout 5xx burst" not in team.content.decode()
