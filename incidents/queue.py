"""Handing pages to the workers: the one place the incidents services reach Celery.

The services publish here (``transaction.on_commit``); ``incidents.tasks`` holds the task
bodies and imports the services. This module imports neither, so the two never import each
other (``make lint`` checks it): it names the task, ``incidents.deliver_page``, and Celery
finds it in the worker.
"""

import logging

from django.conf import settings

from core.retry import publish

DELIVER_PAGE = "incidents.deliver_page"

logger = logging.getLogger(__name__)


def page_queue_options() -> dict:
    """Return the routing options of page tasks: INCIDENTS_PAGE_QUEUE if set, else the routes."""
    queue = getattr(settings, "INCIDENTS_PAGE_QUEUE", None)
    return {"queue": queue} if queue else {}


def publish_page(page_id: int) -> bool:
    """Hand a page to a worker on the pages queue; return whether the broker took it.

    Runs after the incident committed: a broker that cannot be reached must not turn the
    request that stored the incident into an error (a caller would retry and open it twice).
    The page stays pending, is logged, and the escalation scan hands it over again.
    """
    try:
        publish(DELIVER_PAGE, args=[page_id], **page_queue_options())
    except Exception:
        logger.exception("Could not hand page %s to a worker; it stays pending", page_id)
        return False
    return True
