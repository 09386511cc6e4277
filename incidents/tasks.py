"""Celery tasks of the incidents app; they take ids and call services.

Pages and the escalation scan travel on a queue of their own (``pages``, see
``CELERY_TASK_ROUTES``) with workers of their own, so a backlog of reminders or a slow chat
webhook never holds a page back.
"""

import datetime
import logging
import uuid

from celery import shared_task

from core.retry import DATABASE_RETRY, attempt_token

from .queue import page_queue_options
from .services.escalation import escalation_scan
from .services.paging import PageSentUnrecorded, page_deliver, page_sent_record

# Pages are urgent: a failed send is tried again soon (page_deliver gives up after a few).
RETRY_SECONDS = 20

logger = logging.getLogger(__name__)


@shared_task(name="incidents.scan_escalations", **DATABASE_RETRY)
def scan_escalations() -> int:
    """Page the next step of every unacknowledged incident that is due, and hand pending
    pages that never reached a worker over again (beat, every minute)."""
    return escalation_scan()


@shared_task(
    name="incidents.deliver_page",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
    **DATABASE_RETRY,
)
def deliver_page(self, page_id: int) -> str:
    """Send one page; retry shortly when its channel failed for a passing reason.

    A database error retries the task with a backoff (the claim keeps it to one send). A page
    that went out but could not be recorded is recorded by ``record_page_sent`` instead of
    being sent again.
    """
    try:
        status = page_deliver(page_id=page_id, token=attempt_token(self))
    except PageSentUnrecorded as exc:
        logger.warning("%s; recording it later", exc)
        record_page_sent.apply_async(
            args=[exc.page_id, str(exc.token), exc.sent_at.isoformat()],
            countdown=1,
            **page_queue_options(),
        )
        return "sent"
    if status == "retry":
        raise self.retry(countdown=RETRY_SECONDS, **page_queue_options())
    return status


@shared_task(
    name="incidents.record_page_sent",
    acks_late=True,
    max_retries=None,
    ignore_result=True,
    **DATABASE_RETRY,
)
def record_page_sent(page_id: int, token: str, sent_at: str) -> bool:
    """Record a page that went out while the database was away (retried until it is back)."""
    return page_sent_record(
        page_id=page_id,
        token=uuid.UUID(token),
        sent_at=datetime.datetime.fromisoformat(sent_at),
    )
