"""Settings of the Celery workers that the integration tests start in their own processes.

The test settings, pointed by environment variables at the test run's database, its Redis
broker and queue, and a mail folder the test reads; the send can be slowed down so that a
test can kill a worker in the middle of it.
"""

import os

from portal.settings.test import *  # noqa: F403
from portal.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["ROTA_TEST_DATABASE_NAME"]
CELERY_BROKER_URL = os.environ["ROTA_TEST_BROKER_URL"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message whose worker died is handed out again after this many seconds (Redis).
    "visibility_timeout": float(os.environ.get("ROTA_TEST_VISIBILITY_TIMEOUT", "5")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
NOTIFICATIONS_TASK_QUEUE = os.environ["ROTA_TEST_QUEUE"]
NOTIFICATIONS_SEND_DELAY = float(os.environ.get("ROTA_TEST_SEND_DELAY", "0"))
NOTIFICATIONS_SENDING_TIMEOUT = float(os.environ.get("ROTA_TEST_SENDING_TIMEOUT", "600"))
NOTIFICATIONS_RETRY_BACKOFF = 0.2
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["ROTA_TEST_MAIL_DIR"]
INCIDENTS_PAGE_QUEUE = os.environ.get("ROTA_TEST_PAGE_QUEUE", NOTIFICATIONS_TASK_QUEUE)
NOTIFICATIONS_WEBHOOK_TIMEOUT = float(os.environ.get("ROTA_TEST_WEBHOOK_TIMEOUT", "10"))
INCIDENTS_PAGE_REQUEUE_AFTER = float(os.environ.get("ROTA_TEST_PAGE_REQUEUE_AFTER", "60"))
if os.environ.get("ROTA_TEST_DATABASE_PORT"):
    # Through a proxy of the test's own, which it can cut to play a database outage.
    DATABASES["default"]["HOST"] = "127.0.0.1"
    DATABASES["default"]["PORT"] = os.environ["ROTA_TEST_DATABASE_PORT"]
