"""Settings for the test suite: SQLite unless DATABASE_URL says otherwise, fast hashing."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file rather than memory: the notifications tests run a real Celery worker in another
    # process, which must open the same test database. One file per test process, so that
    # runs side by side in one checkout do not share (or delete) each other's database.
    _test_databases = BASE_DIR / "var" / "test-databases"
    _test_databases.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_databases / f"test-{os.getpid()}.sqlite3")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "10000/minute", "user": "100000/minute"}
# Static files are served by the test client from the finders; no collected STATIC_ROOT.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405
# The chat webhook tests talk to a server of their own on the loopback interface.
ROTA_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Pinned query counts include reading the session, as on a session cache miss in production.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
