"""Celery tasks of the incidents app; they take ids and call services."""

from celery import shared_task

from .services.escalation import escalation_scan
from .services.paging import page_deliver


@shared_task(name="incidents.scan_escalations")
def scan_escalations() -> int:
    """Page the next step of every unacknowledged incident that is due (beat, every minute)."""
    return escalation_scan()


@shared_task(name="incidents.deliver_page")
def deliver_page(page_id: int) -> str:
    """Send one page."""
    return page_deliver(page_id=page_id)
