"""Sends survive a database that went away; each kind of task travels on its own queue."""

import datetime

import pytest
from django.core import mail
from django.db import InterfaceError, OperationalError

from notifications import tasks
from notifications.models import Delivery
from notifications.services import send
from portal.celery import app
from tests.rota.factories import ShiftFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def due(rotation, alice, now, scan):
    """Return the id of a reminder to alice that is due now, recorded and enqueued."""
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    return delivery_id


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_retries_the_send_task_and_sends_once(due, now, monkeypatch, error):
    calls = []
    delivery_send = send.delivery_send

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise error("connection already closed")
        return delivery_send(**kwargs, now=now)

    monkeypatch.setattr(tasks, "delivery_send", flaky)
    assert tasks.send_delivery.apply(args=[due]).get() == "sent"
    assert len(calls) == 2
    assert len(mail.outbox) == 1


def test_every_task_retries_database_errors_with_a_capped_backoff():
    app.loader.import_default_modules()  # the tasks modules of every app
    for name in (
        "notifications.send_delivery",
        "notifications.record_sent",
        "notifications.scan",
        "notifications.warn_rota_problems",
        "notifications.check_capacity",
        "incidents.deliver_page",
        "incidents.record_page_sent",
        "incidents.scan_escalations",
        "rota.extend_rotations",
    ):
        task = app.tasks[name]
        assert set(task.autoretry_for) == {OperationalError, InterfaceError}, name
        assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (1, 60, True)


def test_a_delivery_sent_while_the_database_went_away_is_recorded_later(due, now, monkeypatch):
    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    recorded = send.delivery_sent_record
    monkeypatch.setattr(
        tasks, "delivery_send", lambda **kwargs: send.delivery_send(**kwargs, now=now)
    )
    monkeypatch.setattr(send, "delivery_sent_record", database_gone)
    published = []
    monkeypatch.setattr(
        tasks.record_sent, "apply_async", lambda args, **options: published.append(args)
    )
    assert tasks.send_delivery.apply(args=[due]).get() == "sent"
    assert len(mail.outbox) == 1
    # Handed again meanwhile: still claimed, not sent twice.
    assert send.delivery_send(delivery_id=due, now=now).status == "busy"
    monkeypatch.setattr(send, "delivery_sent_record", recorded)

    [args] = published
    assert tasks.record_sent.apply(args=args).get() is True
    row = Delivery.objects.get(pk=due)
    assert (row.status, row.claim, len(mail.outbox)) == ("sent", None, 1)


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("incidents.deliver_page", "pages"),
        ("incidents.record_page_sent", "pages"),
        ("incidents.scan_escalations", "pages"),
        ("notifications.scan", "scans"),
        ("notifications.warn_rota_problems", "scans"),
        ("notifications.check_capacity", "scans"),
        ("notifications.send_delivery", "celery"),
        ("rota.extend_rotations", "celery"),
    ],
)
def test_pages_scans_and_sends_travel_on_queues_of_their_own(task, queue):
    # Celery's router, as the beat scheduler and apply_async use it.
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def test_a_webhook_deadline_not_below_the_sending_timeouts_is_refused(settings):
    from notifications.checks import webhook_deadline_check

    assert webhook_deadline_check() == []  # 10 s against 600 s and 120 s
    settings.NOTIFICATIONS_WEBHOOK_TIMEOUT = 120
    [error] = webhook_deadline_check()
    assert error.id == "notifications.E001"
    assert "INCIDENTS_PAGE_SENDING_TIMEOUT (120 s)" in error.msg


def test_a_database_error_before_sending_lets_the_retry_take_its_own_claim_back(
    due, now, monkeypatch
):
    # The database drops while the message is composed, after the claim: the task's retry
    # (same task id) takes its claim back at once rather than waiting the 600 s sending
    # timeout, and the message goes out once.
    compose = send.compose
    failures = []

    def flaky(delivery, **kwargs):
        if not failures:
            failures.append(delivery.pk)
            raise OperationalError("server closed the connection unexpectedly")
        return compose(delivery, **kwargs)

    monkeypatch.setattr(send, "compose", flaky)
    monkeypatch.setattr(
        tasks, "delivery_send", lambda **kwargs: send.delivery_send(**kwargs, now=now)
    )
    assert tasks.send_delivery.apply(args=[due]).get() == "sent"
    row = Delivery.objects.get(pk=due)
    assert (row.status, row.attempts, failures) == ("sent", 2, [due])
    assert len(mail.outbox) == 1
    # Another attempt (another task id) still finds nothing to claim.
    assert send.delivery_send(delivery_id=due, now=now).status == "busy"
