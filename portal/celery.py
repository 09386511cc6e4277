"""The Celery application; configuration comes from Django settings under CELERY_."""

import os
import uuid

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task that fails on a database error (the server restarting, a connection dropped) is
# tried again with a growing wait (1, 2, 4 ... s, at most a minute, with jitter) rather than
# lost: every task is idempotent (claims and unique keys).
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_RETRY = {
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


def attempt_token(task) -> uuid.UUID | None:
    """Return a claim token naming a task's attempt: its id, which its retries keep.

    None when the task runs outside a worker without an id.
    """
    try:
        return uuid.UUID(task.request.id)
    except (TypeError, ValueError):
        return None
