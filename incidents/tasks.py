"""Celery tasks of the incidents app; they take ids and call services."""

import logging

from celery import shared_task

from notifications.tasks import queue_options

from .services.escalation import escalation_scan
from .services.paging import page_deliver

# Pages are urgent: a failed send is tried again soon (page_deliver gives up after a few).
RETRY_SECONDS = 20

logger = logging.getLogger(__name__)


@shared_task(name="incidents.scan_escalations")
def scan_escalations() -> int:
    """Page the next step of every unacknowledged incident that is due (beat, every minute)."""
    return escalation_scan()


@shared_task(
    name="incidents.deliver_page",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
)
def deliver_page(self, page_id: int) -> str:
    """Send one page; retry shortly when its channel failed for a passing reason."""
    status = page_deliver(page_id=page_id)
    if status == "retry":
        raise self.retry(countdown=RETRY_SECONDS, **queue_options())
    return status


def publish_page(page_id: int) -> None:
    """Hand a page to a worker, on the queue notifications are sent from.

    Runs after the incident committed: a broker that cannot be reached must not turn the
    request that stored the incident into an error (a caller would retry and open it twice).
    The page stays pending and is logged.
    """
    try:
        deliver_page.apply_async(args=[page_id], **queue_options())
    except Exception:
        logger.exception("Could not hand page %s to a worker; it stays pending", page_id)
