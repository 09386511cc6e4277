"""Probe the services the web tier depends on, for /healthz and the API's outage answers."""

import logging

from django.core.cache import cache
from django.db import connections

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def _error(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"error: {type(exc).__name__}: {first_line}"[:200]


def check_database(alias: str = "default") -> str:
    """Run ``SELECT 1`` on the database; return "ok" or "error: <exception>"."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means the check failed
        # Drop the broken connection so that the next request opens a new one.
        connections[alias].close_if_unusable_or_obsolete()
        return _error(exc)
    return "ok"


def check_cache() -> str:
    """Write a key to the default cache and read it back; return "ok" or "error: ..."."""
    try:
        cache.set("healthz", "ok", timeout=10)
        if cache.get("healthz") != "ok":
            return "error: a value written to the cache could not be read back"
    except Exception as exc:
        return _error(exc)
    return "ok"


def check_broker() -> str:
    """Connect to the Celery broker (at most BROKER_TIMEOUT_SECONDS); "ok" or "error: ..."."""
    from portal.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
    except Exception as exc:
        return _error(exc)
    return "ok"


# The dependencies without which the web tier cannot answer requests: a failure takes the
# process out of the load balancer. The broker is reported but not required, because pages
# and the API keep working without it (a page that cannot be enqueued stays pending, see
# incidents.tasks).
REQUIRED = {"database": check_database, "cache": check_cache}
REPORTED = {"broker": check_broker}


def health() -> tuple[bool, dict[str, str]]:
    """Run every check; return (whether every required one passed, {name: "ok"|"error: ..."})."""
    checks = {name: check() for name, check in {**REQUIRED, **REPORTED}.items()}
    healthy = all(checks[name] == "ok" for name in REQUIRED)
    for name, result in checks.items():
        if result != "ok":
            logger.warning("Health check %s failed: %s", name, result)
    return healthy, checks
