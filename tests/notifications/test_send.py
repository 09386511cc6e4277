import datetime

import pytest
from django.core import mail

from notifications import services
from notifications.models import Delivery
from rota import services as rota_services
from tests.rota.factories import ShiftFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def due(rotation, alice, now, scan):
    """Return the id of a reminder to alice that is due now, recorded and enqueued."""
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    return delivery_id


def test_a_delivery_is_claimed_by_one_sender_only(due, now):
    first = services.delivery_claim(delivery_id=due, now=now)
    assert first is not None
    assert services.delivery_claim(delivery_id=due, now=now) is None
    # Its worker died: after the sending timeout another may take it over, and only one.
    later = now + datetime.timedelta(minutes=11)
    assert services.delivery_claim(delivery_id=due, now=later) is not None
    assert services.delivery_claim(delivery_id=due, now=later) is None
    row = Delivery.objects.get(pk=due)
    assert (row.status, row.attempts) == ("sending", 2)


def test_sending_twice_sends_once(due, now):
    assert services.delivery_send(delivery_id=due, now=now).status == "sent"
    assert services.delivery_send(delivery_id=due, now=now).status == "busy"
    assert len(mail.outbox) == 1
    row = Delivery.objects.get(pk=due)
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)
    assert row.subject.startswith("Reminder: your Payments on-call shift starts")


def test_an_outdated_finish_is_not_recorded_over_a_takeover(due, now):
    """A worker that outlived the sending timeout cannot overwrite its successor's outcome."""
    stale = services.delivery_claim(delivery_id=due, now=now)
    services.delivery_send(delivery_id=due, now=now + datetime.timedelta(minutes=11))
    from notifications.services.send import _finish

    assert not _finish(due, stale, status="failed")
    assert Delivery.objects.get(pk=due).status == "sent"


def test_a_reminder_reassigned_after_it_was_recorded_is_skipped_and_the_new_person_reminded(
    rotation, alice, bob, now, scan
):
    shift = ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (old,) = scan(now)
    rota_services.shift_reassign(shift=shift, user=bob)
    assert services.delivery_send(delivery_id=old, now=now).status == "skipped"
    (new,) = scan(now + MINUTE)
    assert services.delivery_send(delivery_id=new, now=now + MINUTE).status == "sent"
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert "reassigned" in Delivery.objects.get(pk=old).last_error


def test_a_failing_webhook_is_retried_with_backoff_then_marked_failed(
    rotation, alice, now, scan, chat_server, settings
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    server = chat_server(503, 503, 503, 503)
    NotificationPreferenceFactory(
        user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=server.url
    )
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)

    first = services.delivery_send(delivery_id=delivery_id, now=now)
    assert (first.status, first.retry_in) == ("retry", 30)
    row = Delivery.objects.get(pk=delivery_id)
    assert (row.status, row.not_before) == ("pending", now + datetime.timedelta(seconds=30))
    assert "503" in row.last_error
    assert services.delivery_send(delivery_id=delivery_id, now=now).status == "busy"  # too early

    second = services.delivery_send(delivery_id=delivery_id, now=now + MINUTE)
    assert second.retry_in == 60
    third = services.delivery_send(delivery_id=delivery_id, now=now + 3 * MINUTE)
    assert third.status == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert len(server.received) == 3 and server.delivered == []


def test_a_webhook_that_fails_twice_then_succeeds_gets_the_message_once(
    rotation, alice, now, scan, chat_server
):
    server = chat_server(500, 429)
    NotificationPreferenceFactory(
        user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=server.url
    )
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    statuses = [
        services.delivery_send(delivery_id=delivery_id, now=now + n * MINUTE).status
        for n in range(5)
    ]
    assert statuses == ["retry", "retry", "sent", "busy", "busy"]
    assert [status for status, _, _ in server.received] == [500, 429, 200]
    assert len(server.delivered) == 1


def test_a_refused_webhook_fails_at_once(rotation, alice, now, scan, chat_server):
    server = chat_server(404)
    NotificationPreferenceFactory(
        user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=server.url
    )
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    assert services.delivery_send(delivery_id=delivery_id, now=now).status == "failed"
    assert "404" in Delivery.objects.get(pk=delivery_id).last_error


def test_an_unreachable_webhook_is_retried(rotation, alice, now, scan, settings):
    settings.NOTIFICATIONS_WEBHOOK_TIMEOUT = 1
    NotificationPreferenceFactory(
        user=alice,
        email_enabled=False,
        chat_enabled=True,
        chat_webhook_url="http://127.0.0.1:9/nothing-listens-here",
    )
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    result = services.delivery_send(delivery_id=delivery_id, now=now)
    assert result.status == "retry"
    assert "unreachable" in Delivery.objects.get(pk=delivery_id).last_error


def test_the_scanner_enqueues_again_what_was_lost_or_abandoned(due, now, scan):
    assert scan(now + MINUTE) == []  # just enqueued: left alone
    assert scan(now + 11 * MINUTE) == [due]  # never picked up: the broker lost it
    assert scan(now + 12 * MINUTE) == []
    services.delivery_claim(delivery_id=due, now=now + 12 * MINUTE)  # then its worker died
    assert scan(now + 20 * MINUTE) == []
    assert scan(now + 23 * MINUTE) == [due]
    assert services.delivery_send(delivery_id=due, now=now + 23 * MINUTE).status == "sent"


def test_retry_sends_a_failed_delivery_again(due, now, django_capture_on_commit_callbacks):
    Delivery.objects.filter(pk=due).update(status="failed", attempts=5, last_error="boom")
    enqueued = []
    from notifications.services import scan as scan_module

    original = scan_module.enqueue_send
    scan_module.enqueue_send = enqueued.extend
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.delivery_retry(delivery=Delivery.objects.get(pk=due), now=now)
            assert not services.delivery_retry(delivery=Delivery.objects.get(pk=due), now=now)
    finally:
        scan_module.enqueue_send = original
    assert enqueued == [due]
    assert services.delivery_send(delivery_id=due, now=now).status == "sent"


def test_an_unexpected_error_while_sending_is_retried_not_left_hanging(due, now, monkeypatch):
    def broken(message):
        raise RuntimeError("backend exploded")

    monkeypatch.setattr("notifications.services.send.deliver", broken)
    result = services.delivery_send(delivery_id=due, now=now)
    assert result.status == "retry"
    row = Delivery.objects.get(pk=due)
    assert (row.status, "backend exploded" in row.last_error) == ("pending", True)


def test_a_delivery_whose_workers_keep_dying_is_given_up(due, now):
    # Claimed six times by workers that died before recording anything.
    for n in range(6):
        assert services.delivery_claim(delivery_id=due, now=now + n * 11 * MINUTE)
    result = services.delivery_send(delivery_id=due, now=now + 6 * 11 * MINUTE)
    assert result.status == "failed"
    assert "Gave up after 6 attempts" in Delivery.objects.get(pk=due).last_error
    assert mail.outbox == []
