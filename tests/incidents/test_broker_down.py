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


def test_an_alert_is_answered_and_its_page_handed_over_once_the_broker_is_back(
    api_client, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents.services import pages_requeue
    from tests.incidents.factories import IntegrationFactory
    from tests.incidents.helpers import alertmanager_payload, post_alert

    team = TeamFactory(slug="payments")
    now = datetime.datetime.now(datetime.UTC)
    ShiftFactory(
        rotation=RotationFactory(team=team),
        user=UserFactory(username="alice"),
        start=now - datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=1),
    )
    integration = IntegrationFactory(component=ComponentFactory(slug="checkout", owner_team=team))
    handed = []

    def broker_down(*args, **kwargs):
        raise OSError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_page, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_alert(api_client, integration, alertmanager_payload())

    # The alerting system is told the alert was taken (it must not send it again), and the
    # page waits, pending.
    assert response.status_code == 200, response.content
    [incident_id] = response.json()["created"]
    page = Page.objects.get(incident_id=incident_id)
    assert page.status == Page.Status.PENDING
    # Still down at the next scan: not marked as handed, so tried again at the one after.
    assert pages_requeue(now=page.enqueued_at + datetime.timedelta(seconds=61)) == []

    monkeypatch.setattr(
        tasks.deliver_page, "apply_async", lambda args, **options: handed.append(args)
    )
    later = page.enqueued_at + datetime.timedelta(seconds=121)
    assert pages_requeue(now=later) == [page.pk]
    assert handed == [[page.pk]]
    page.refresh_from_db()
    assert page.enqueued_at == later
