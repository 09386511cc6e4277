"""Django's whole WSGI handler serving only the reference view of ``bench/hotpath.py``: what
one indexed query behind token authentication costs over HTTP (``bench/hotpath_http.py``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - settings are read once Django is set up

# The handler resolves each request against ROOT_URLCONF as it stands then.
settings.ROOT_URLCONF = "bench.hotpath"
