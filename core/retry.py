"""How tasks survive a database outage: retry settings and a claim token per attempt.

A task that fails on a database error (the server restarting, a connection dropped) is
tried again with a growing wait (1, 2, 4 ... s, at most a minute, with jitter) rather than
lost: every task is idempotent (claims and unique keys).
"""

import uuid

from celery import current_app
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


def publish(name: str, *, args: list, **options):
    """Hand the task called ``name`` to the broker with ``args``; return its AsyncResult.

    Lets a module publish a task without importing the module that defines it (the app's
    services never import its tasks). The registered task is used when this process has it
    (so ``task_always_eager`` and the task's own options apply), else the message is sent by
    name. ``options`` go to ``apply_async`` (queue, producer, countdown ...); broker errors
    propagate.
    """
    task = current_app.tasks.get(name)
    if task is None:
        return current_app.send_task(name, args=args, **options)
    return task.apply_async(args=args, **options)
