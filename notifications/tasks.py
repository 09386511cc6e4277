"""Celery tasks of the notifications app; they take ids and call services.

Sends travel on Celery's default queue, the scans on ``scans`` (see ``CELERY_TASK_ROUTES``):
a backlog of sends never delays the every-minute scan, nor the pages on their own queue.
"""

import datetime
import logging
import uuid

from celery import shared_task

from core.retry import DATABASE_RETRY, attempt_token

from .queue import queue_options
from .services import (
    SentUnrecorded,
    capacity_alerts_scan,
    delivery_send,
    delivery_sent_record,
    notifications_scan,
    rota_warnings_scan,
)

logger = logging.getLogger(__name__)


@shared_task(
    name="notifications.send_delivery",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
    **DATABASE_RETRY,
)
def send_delivery(self, delivery_id: int) -> str:
    """Send one delivery; retry after a backoff when its channel failed.

    A database error retries the task with a backoff (the claim keeps it to one send); a
    delivery that went out but could not be recorded is recorded by ``record_sent``.
    """
    try:
        result = delivery_send(delivery_id=delivery_id, token=attempt_token(self))
    except SentUnrecorded as exc:
        logger.warning("%s; recording it later", exc)
        record_sent.apply_async(
            args=[exc.delivery_id, str(exc.token), exc.subject, exc.sent_at.isoformat()],
            countdown=1,
            **queue_options(),
        )
        return "sent"
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in, **queue_options())
    return result.status


@shared_task(
    name="notifications.record_sent",
    acks_late=True,
    max_retries=None,
    ignore_result=True,
    **DATABASE_RETRY,
)
def record_sent(delivery_id: int, token: str, subject: str, sent_at: str) -> bool:
    """Record a delivery that went out while the database was away (retried until back)."""
    return delivery_sent_record(
        delivery_id=delivery_id,
        token=uuid.UUID(token),
        subject=subject,
        sent_at=datetime.datetime.fromisoformat(sent_at),
    )


@shared_task(name="notifications.scan", ignore_result=True, **DATABASE_RETRY)
def scan() -> dict:
    """Find the reminders, handoffs, change notices, triage agendas and timebox notices due
    now and enqueue them (every minute)."""
    result = notifications_scan()
    return {"created": result.created, "enqueued": result.enqueued}


@shared_task(name="notifications.warn_rota_problems", ignore_result=True, **DATABASE_RETRY)
def warn_rota_problems() -> dict:
    """Warn rotation managers about gaps and conflicts ahead (daily; once a week each)."""
    result = rota_warnings_scan()
    return {"created": result.created}


@shared_task(name="notifications.check_capacity", ignore_result=True, **DATABASE_RETRY)
def check_capacity() -> dict:
    """Tell managers whose teams passed 80% or 100% of their sprint buffer (every 15 minutes)."""
    result = capacity_alerts_scan()
    return {"created": result.created}
