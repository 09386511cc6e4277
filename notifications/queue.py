"""Handing deliveries to the workers: the one place the notifications services reach Celery.

The services publish here (``transaction.on_commit``); ``notifications.tasks`` holds the task
bodies and imports the services. This module imports neither, so the two never import each
other (``make lint`` checks it): it names the task, ``notifications.send_delivery``, and
Celery finds it in the worker.
"""

from celery import current_app

from core.retry import publish

from .conf import setting

SEND_DELIVERY = "notifications.send_delivery"


def queue_options() -> dict:
    """Return the routing options of send tasks (NOTIFICATIONS_TASK_QUEUE, else the routes)."""
    queue = setting("NOTIFICATIONS_TASK_QUEUE")
    return {"queue": queue} if queue else {}


def publish_sends(ids: list[int]) -> None:
    """Publish one send task per delivery id over a single broker connection."""
    if not ids:
        return
    options = queue_options()
    with current_app.producer_or_acquire() as producer:
        for delivery_id in ids:
            publish(SEND_DELIVERY, args=[delivery_id], producer=producer, **options)
