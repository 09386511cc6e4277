"""Pages survive a broker that refused them, a database that went away, a flaky DNS."""

import datetime
import socket

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from incidents import queue, services, tasks
from incidents.models import Page
from incidents.services import paging
from tests.notifications.factories import NotificationPreferenceFactory
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def page():
    """Return alice's pending e-mail page of a SEV1 incident opened now (nothing sent yet)."""
    team = TeamFactory(slug="payments")
    alice = UserFactory(username="alice")
    now = timezone.now()
    ShiftFactory(
        rotation=RotationFactory(team=team, timezone="UTC"),
        user=alice,
        start=now - datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=1),
    )
    ComponentFactory(slug="checkout", owner_team=team)
    services.incident_create(title="Checkout down", component="checkout", severity="SEV1")
    return Page.objects.get()


@pytest.fixture
def handed(monkeypatch):
    """Record the pages handed to the broker instead of sending them."""
    ids = []

    def publish(page_id):
        ids.append(page_id)
        return True

    monkeypatch.setattr(queue, "publish_page", publish)
    return ids


# --- Requeue window -------------------------------------------------------------------------


def test_a_pending_page_untouched_for_a_minute_is_handed_over_again_once(page, handed):
    created = page.enqueued_at
    assert created is not None  # handed over when its incident committed
    # 59 s later it may still be on its way; after 61 s the broker lost it (or never had it).
    assert paging.pages_requeue(now=created + 59 * SECOND) == []
    assert paging.pages_requeue(now=created + 61 * SECOND) == [page.pk]
    # Marked handed at that scan: the next scan, a few seconds on, leaves it alone.
    assert paging.pages_requeue(now=created + 65 * SECOND) == []
    assert handed == [page.pk]


def test_a_page_the_broker_refused_is_tried_again_at_the_next_scan(page, monkeypatch):
    tried = []

    def broker_down(page_id):
        tried.append(page_id)
        return False

    monkeypatch.setattr(queue, "publish_page", broker_down)
    first = page.enqueued_at + 61 * SECOND
    assert paging.pages_requeue(now=first) == []
    # Not marked as handed: one scan (a minute) later it is tried again, not a minute after.
    assert paging.pages_requeue(now=first + 60 * SECOND) == []
    assert tried == [page.pk, page.pk]
    page.refresh_from_db()
    assert page.enqueued_at == first - 61 * SECOND


def test_a_scan_stops_handing_pages_over_at_the_first_refusal(page, monkeypatch):
    # With the broker away, trying each of hundreds of pages would hold the scan for
    # minutes (every publish waits for its connection retries): one refusal is enough.
    second = Page.objects.create(
        incident=page.incident,
        step=Page.Step.SECONDARY,
        user=page.user,
        key="second",
        created_at=page.created_at,
        enqueued_at=page.enqueued_at,
    )
    tried = []
    monkeypatch.setattr(queue, "publish_page", lambda page_id: tried.append(page_id))
    assert paging.pages_requeue(now=page.enqueued_at + 61 * SECOND) == []
    assert tried == [page.pk]
    assert Page.objects.get(pk=second.pk).enqueued_at == page.enqueued_at


def test_a_page_being_sent_is_not_handed_over_until_its_claim_lapses(page, handed):
    now = page.enqueued_at + 61 * SECOND
    assert paging.page_claim(page_id=page.pk, now=now) is not None
    # Claimed (a worker is sending it): left alone until the 120 s sending timeout passed.
    assert paging.pages_requeue(now=now + 119 * SECOND) == []
    assert paging.pages_requeue(now=now + 121 * SECOND) == [page.pk]


def test_pages_sent_failed_or_cancelled_are_never_handed_over(page, handed):
    later = page.enqueued_at + datetime.timedelta(hours=1)
    for status in (Page.Status.SENT, Page.Status.FAILED, Page.Status.CANCELLED):
        Page.objects.filter(pk=page.pk).update(status=status)
        assert paging.pages_requeue(now=later) == []
    assert handed == []


def test_the_escalation_scan_hands_stranded_pages_over(page, handed, settings):
    settings.INCIDENTS_PAGE_REQUEUE_AFTER = 30
    services.escalation_scan(now=page.enqueued_at + 31 * SECOND)
    assert handed == [page.pk]


def test_requeued_pages_are_sent_once_however_often_they_are_handed(page):
    # The broker handed the page twice (a requeue raced the first message): one e-mail.
    assert [paging.page_deliver(page_id=page.pk) for _ in range(2)] == ["sent", "sent"]
    assert len(mail.outbox) == 1


# --- A database outage mid-send -------------------------------------------------------------


def test_a_page_sent_while_the_database_went_away_is_recorded_later_not_sent_again(
    page, monkeypatch
):
    recorded = paging.page_sent_record

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(paging, "page_sent_record", database_gone)
    with pytest.raises(paging.PageSentUnrecorded) as excinfo:
        paging.page_deliver(page_id=page.pk)
    assert len(mail.outbox) == 1
    monkeypatch.setattr(paging, "page_sent_record", recorded)

    # Handed again meanwhile (the task's retry, a requeue): the claim holds, nothing is sent.
    assert paging.page_deliver(page_id=page.pk) == "busy"
    assert len(mail.outbox) == 1
    # The database is back: the record task writes what happened.
    tasks.record_page_sent.apply(
        args=[page.pk, str(excinfo.value.token), excinfo.value.sent_at.isoformat()]
    )
    page.refresh_from_db()
    assert (page.status, page.sent_at, page.claim) == ("sent", excinfo.value.sent_at, None)
    assert paging.page_deliver(page_id=page.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_page_never_recorded_is_sent_again_with_the_same_key_after_the_claim_lapsed(
    page, monkeypatch
):
    # The record never arrived (the worker died with the database): after the sending
    # timeout the page goes out again, with the Message-ID a mail system knows it by.
    def database_gone(**kwargs):
        raise OperationalError("gone")

    monkeypatch.setattr(paging, "page_sent_record", database_gone)
    with pytest.raises(paging.PageSentUnrecorded):
        paging.page_deliver(page_id=page.pk)
    monkeypatch.undo()
    later = timezone.now() + 121 * SECOND
    assert paging.page_deliver(page_id=page.pk, now=later) == "sent"
    first, second = (message.extra_headers for message in mail.outbox)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<rota-delivery-page-{page.pk}@")
    assert first["X-Rota-Delivery"] == second["X-Rota-Delivery"] == page.key


def test_a_database_error_retries_the_page_task_with_a_backoff(page, monkeypatch):
    # The first attempt meets a dropped connection; the task is retried (eagerly here) and
    # the page goes out once.
    calls = []
    deliver = paging.page_deliver

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("could not connect to server")
        return deliver(**kwargs)

    monkeypatch.setattr(tasks, "page_deliver", flaky)
    result = tasks.deliver_page.apply(args=[page.pk])
    assert result.get() == "sent"
    assert len(calls) == 2
    assert len(mail.outbox) == 1
    for task in (tasks.deliver_page, tasks.scan_escalations, tasks.record_page_sent):
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff and task.retry_backoff_max == 60


def test_a_page_to_a_webhook_whose_name_does_not_resolve_is_retried(page, monkeypatch):
    NotificationPreferenceFactory(
        user=page.user,
        email_enabled=False,
        chat_enabled=True,
        chat_webhook_url="https://hooks.example.com/x",
    )
    Page.objects.filter(pk=page.pk).update(channel=Page.Channel.CHAT)

    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert paging.page_deliver(page_id=page.pk) == "retry"
    page.refresh_from_db()
    assert (page.status, page.claim) == ("pending", None)
    assert "could not be resolved" in page.error


def test_a_page_acknowledged_while_on_its_way_stays_cancelled_when_the_send_fails(
    page, monkeypatch
):
    def acknowledged_then_refused(message):
        services.incident_acknowledge(incident=page.incident, by=page.user)
        raise paging.ChannelError("Webhook answered 404 Not Found", permanent=True)

    monkeypatch.setattr(paging, "deliver", acknowledged_then_refused)
    assert paging.page_deliver(page_id=page.pk) == "busy"
    page.refresh_from_db()
    assert (page.status, page.claim) == ("cancelled", None)
    assert not page.incident.timeline.filter(text__contains="failed").exists()


def test_a_database_error_before_the_page_is_sent_lets_the_retry_take_its_claim_back(
    page, monkeypatch
):
    message = paging.page_message
    failures = []

    def flaky(claimed):
        if not failures:
            failures.append(claimed.pk)
            raise OperationalError("server closed the connection unexpectedly")
        return message(claimed)

    monkeypatch.setattr(paging, "page_message", flaky)
    assert tasks.deliver_page.apply(args=[page.pk]).get() == "sent"
    page.refresh_from_db()
    # Claimed twice by the same attempt; sent once, not held for the 120 s sending timeout.
    assert (page.status, page.attempts, failures) == ("sent", 2, [page.pk])
    assert len(mail.outbox) == 1
