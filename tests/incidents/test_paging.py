"""Pages go out through the notifications channels, as each person's preferences say."""

import datetime

import pytest
from django.core import mail

from incidents import services
from incidents.models import Page
from tests.notifications.chat import ChatServer
from tests.notifications.factories import NotificationPreferenceFactory
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
T0 = datetime.datetime(2030, 7, 1, 10, 0, tzinfo=UTC)  # 11:00 in London (BST)


@pytest.fixture
def alice():
    team = TeamFactory(slug="payments", timezone="Europe/London")
    user = UserFactory(username="alice", first_name="Alice", last_name="Martin")
    rotation = RotationFactory(team=team, timezone="UTC")
    ShiftFactory(rotation=rotation, user=user, start=T0 - datetime.timedelta(days=1))
    ComponentFactory(slug="checkout", owner_team=team)
    return user


def open_incident(capture):
    with capture(execute=True):
        return services.incident_create(
            title="Checkout down", component="checkout", severity="SEV1", at=T0
        )


def test_an_email_page_reads_in_the_persons_time_zone(
    alice, send_pages, django_capture_on_commit_callbacks
):
    NotificationPreferenceFactory(user=alice, timezone="Europe/London")

    incident = open_incident(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == f"[SEV1] Incident #{incident.pk}: Checkout down"
    assert "You are paged as primary" in message.body
    assert "Triggered: Mon 1 Jul 2030, 11:00 BST" in message.body
    assert f"/api/v1/incidents/{incident.pk}/acknowledge/" in message.body
    assert message.alternatives  # an HTML part as well


def test_a_person_with_chat_on_is_paged_there_too_once(
    alice, send_pages, django_capture_on_commit_callbacks
):
    with ChatServer() as chat:
        NotificationPreferenceFactory(user=alice, chat_enabled=True, chat_webhook_url=chat.url)
        incident = open_incident(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            services.escalation_scan(now=T0 + datetime.timedelta(minutes=1))

    pages = {page.channel: page.status for page in Page.objects.all()}
    assert pages == {"email": "sent", "chat": "sent"}
    assert len(chat.delivered) == 1
    assert f"Incident #{incident.pk}: Checkout down" in chat.delivered[0]["text"]
    assert len(mail.outbox) == 1


def test_a_failing_chat_service_is_retried_then_given_up_and_noted(alice):
    with ChatServer([500, 503, 200]) as chat:
        NotificationPreferenceFactory(
            user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=chat.url
        )
        incident = services.incident_create(
            title="Checkout down", component="checkout", severity="SEV1", at=T0
        )
        page = Page.objects.get()

        outcomes = [services.page_deliver(page_id=page.pk) for _ in range(3)]

    assert outcomes == ["retry", "retry", "sent"]
    page.refresh_from_db()
    assert (page.status, page.attempts) == ("sent", 3)
    assert len(chat.delivered) == 1
    assert not incident.timeline.filter(text__contains="failed").exists()


def test_a_revoked_chat_webhook_fails_at_once_and_is_on_the_timeline(alice):
    with ChatServer([404]) as chat:
        NotificationPreferenceFactory(
            user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=chat.url
        )
        incident = services.incident_create(
            title="Checkout down", component="checkout", severity="SEV1", at=T0
        )
        page = Page.objects.get()

        assert services.page_deliver(page_id=page.pk) == "failed"

    assert incident.timeline.filter(
        kind="page", text="Page to alice failed: Webhook answered 404 Not Found"
    ).exists()
