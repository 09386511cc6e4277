"""Celery tasks of the notifications app; they take ids and call services."""

from celery import shared_task

from .conf import setting
from .services import capacity_alerts_scan, delivery_send, notifications_scan, rota_warnings_scan


def queue_options() -> dict:
    """Return the routing options of send tasks (the configured queue, if any)."""
    queue = setting("NOTIFICATIONS_TASK_QUEUE")
    return {"queue": queue} if queue else {}


def publish_sends(ids: list[int]) -> None:
    """Publish one send task per delivery id over a single broker connection."""
    if not ids:
        return
    options = queue_options()
    with send_delivery.app.producer_or_acquire() as producer:
        for delivery_id in ids:
            send_delivery.apply_async(args=[delivery_id], producer=producer, **options)


@shared_task(
    name="notifications.send_delivery",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
)
def send_delivery(self, delivery_id: int) -> str:
    """Send one delivery; retry after a backoff when its channel failed."""
    result = delivery_send(delivery_id=delivery_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in, **queue_options())
    return result.status


@shared_task(name="notifications.scan", ignore_result=True)
def scan() -> dict:
    """Find the reminders, handoffs, change notices, triage agendas and timebox notices due
    now and enqueue them (every minute)."""
    result = notifications_scan()
    return {"created": result.created, "enqueued": result.enqueued}


@shared_task(name="notifications.warn_rota_problems", ignore_result=True)
def warn_rota_problems() -> dict:
    """Warn rotation managers about gaps and conflicts ahead (daily; once a week each)."""
    result = rota_warnings_scan()
    return {"created": result.created}


@shared_task(name="notifications.check_capacity", ignore_result=True)
def check_capacity() -> dict:
    """Tell managers whose teams passed 80% or 100% of their sprint buffer (every 15 minutes)."""
    result = capacity_alerts_scan()
    return {"created": result.created}
