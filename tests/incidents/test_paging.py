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


# --- The timeline tells a failed page from a sent one -----------------------------------------


def _page_entries(incident):
    return {
        entry.data["channel"]: entry
        for entry in incident.timeline.filter(kind="page", data__step="primary")
    }


def _incident_page(incident, viewer):
    from django.test import Client

    client = Client()
    client.force_login(viewer)
    answer = client.get(f"/incidents/{incident.pk}/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_page_that_went_out_is_shown_as_sent(alice, django_capture_on_commit_callbacks):
    incident = services.incident_create(
        title="Checkout down", component="checkout", severity="SEV1", at=T0
    )
    (entry,) = _page_entries(incident).values()
    assert entry.text == "Paged alice (primary) by E-mail."
    assert entry.data["delivery"] == "pending"
    assert '<span class="delivery delivery-pending">sending</span>' in _incident_page(
        incident, alice
    )

    page = Page.objects.get()
    assert services.page_deliver(page_id=page.pk) == "sent"
    entry.refresh_from_db()
    assert entry.data["delivery"] == "sent" and "error" not in entry.data
    html = _incident_page(incident, alice)
    assert '<span class="delivery delivery-sent">sent</span>' in html
    assert "Reason:" not in html


def test_a_page_to_a_private_webhook_saved_before_the_check_shows_as_failed_with_why(
    alice, settings
):
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = []
    preference = NotificationPreferenceFactory(user=alice, chat_enabled=True)
    # Saved before webhooks were checked on save (queryset update skips validation).
    type(preference).objects.filter(pk=preference.pk).update(
        chat_webhook_url="http://10.0.0.5/hooks/x"
    )
    incident = services.incident_create(
        title="Checkout down", component="checkout", severity="SEV1", at=T0
    )
    pages = {page.channel: page for page in Page.objects.all()}
    assert services.page_deliver(page_id=pages["email"].pk) == "sent"
    assert services.page_deliver(page_id=pages["chat"].pk) == "failed"

    entries = _page_entries(incident)
    reason = "Webhook refused: The host 10.0.0.5 is not a public address."
    assert entries["email"].data["delivery"] == "sent"
    assert entries["chat"].data["delivery"] == "failed"
    assert entries["chat"].data["error"] == reason

    html = _incident_page(incident, alice)
    # E-mail: sent. Chat: failed, with the reason under it.
    assert "Paged alice (primary) by Chat." in html
    email_item, chat_item = (
        html.split("Paged alice (primary) by E-mail.")[0].rsplit("<li", 1)[1],
        html.split("Paged alice (primary) by Chat.")[0].rsplit("<li", 1)[1],
    )
    assert "delivery-sent" in email_item
    assert '<span class="delivery delivery-failed">failed</span>' in chat_item
    assert f"Reason: {reason}" in html
    assert '<span class="kind">Page sent</span>' not in html

    # The API gives the same outcome in the entry's data.
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    timeline = client.get(f"/api/v1/incidents/{incident.pk}/timeline/").json()["results"]
    outcomes = {
        row["data"]["channel"]: (row["data"]["delivery"], row["data"].get("error"))
        for row in timeline
        if row["data"].get("step") == "primary"
    }
    assert outcomes == {"email": ("sent", None), "chat": ("failed", reason)}


def test_a_page_cancelled_by_an_acknowledgement_is_not_shown_as_sent(alice):
    incident = services.incident_create(
        title="Checkout down", component="checkout", severity="SEV1", at=T0
    )
    services.incident_acknowledge(incident=incident, by=alice, at=T0)
    page = Page.objects.get()
    assert services.page_deliver(page_id=page.pk) == "cancelled"
    (entry,) = _page_entries(incident).values()
    assert entry.data["delivery"] == "cancelled"
    assert "not sent: acknowledged first" in _incident_page(incident, alice)
