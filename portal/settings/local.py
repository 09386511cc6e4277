"""Settings for running the portal on a developer's machine (make run)."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import email_config, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])

# An embedded broker: messages are files under var/broker, so `make run` needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker = Path(env("ROTA_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))  # noqa: F405
    # The embedded broker's folders must exist before anything is published to them.
    for _folder in ("queue", "control"):
        (_broker / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
    }

# Mail is written to files under var/mail (one file per sending connection), where a newcomer
# can read the reminders the worker sends; EMAIL_URL=consolemail:// prints them instead.
EMAIL_CONFIG = email_config(env("EMAIL_URL", default="filemail://var/mail"))
vars().update(EMAIL_CONFIG)

# The web server and the worker are separate processes: a cache they share (files under
# var/cache) lets the admin's import page show the progress the worker counts.
CACHES = {
    "default": env.cache("CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'cache'}"),  # noqa: F405
}
