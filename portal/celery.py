"""The Celery application; configuration comes from Django settings under CELERY_.

The retry settings every task uses live in :mod:`core.retry`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
