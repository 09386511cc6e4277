"""The Celery application; configuration comes from Django settings under CELERY_."""

import os

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
