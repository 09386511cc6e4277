"""WSGI entry point for gunicorn: Django behind the hot path (portal.hotpath)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

django_application = get_wsgi_application()

from portal.hotpath import HotPathApp  # noqa: E402 - needs the apps loaded above

application = HotPathApp(django_application)
