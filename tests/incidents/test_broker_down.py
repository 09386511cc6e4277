"""A broker that cannot be reached never turns a stored incident into an error."""

import datetime

import pytest

from incidents import tasks
from incidents.models import Incident, Page
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db


def test_an_incident_is_answered_201_when_its_page_cannot_be_enqueued(
    staff_client, monkeypatch, django_capture_on_commit_callbacks
):
    team = TeamFactory(slug="payments")
    now = datetime.datetime.now(datetime.UTC)
    ShiftFactory(
        rotation=RotationFactory(team=team),
        user=UserFactory(username="alice"),
        start=now - datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=1),
    )
    ComponentFactory(slug="checkout", owner_team=team)

    def broker_down(*args, **kwargs):
        raise OSError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_page, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/api/v1/incidents/",
            {"title": "Checkout down", "component": "checkout", "severity": "SEV1"},
            format="json",
        )

    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert [(p.user.username, p.status) for p in Page.objects.filter(incident=incident)] == [
        ("alice", Page.Status.PENDING)
    ]
