"""How tasks survive a database outage: retry settings and a claim token per attempt.

A task that fails on a database error (the server restarting, a connection dropped) is
tried again with a growing wait (1, 2, 4 ... s, at most a minute, with jitter) rather than
lost: every task is idempotent (claims and unique keys).
"""

import uuid

from django.db import InterfaceError, OperationalError

# Errors meaning "the database cannot be reached", as opposed to a refused statement.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

# Keyword arguments for ``@shared_task(**DATABASE_RETRY)``.
DATABASE_RETRY = {
    "autoretry_for": DATABASE_UNAVAILABLE,
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
