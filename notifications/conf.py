"""Tunables of the notifications app, read when used (never at import) with their defaults.

Every value may be overridden in the Django settings under the same name.
"""

import datetime

from django.conf import settings

DEFAULTS = {
    # A claimed delivery whose worker has not finished after this long is taken over by
    # another; it must exceed the slowest send (webhook timeout, SMTP timeout).
    "NOTIFICATIONS_SENDING_TIMEOUT": 600,
    # A pending delivery enqueued this long ago and still untouched is enqueued again (the
    # broker lost it, or the process died between commit and publish).
    "NOTIFICATIONS_REQUEUE_AFTER": 600,
    # Attempts per delivery before it is marked failed, and the backoff between them:
    # base * 2 ** (attempt - 1) seconds, capped (never a countdown of more than minutes).
    "NOTIFICATIONS_MAX_ATTEMPTS": 5,
    "NOTIFICATIONS_RETRY_BACKOFF": 30.0,
    "NOTIFICATIONS_RETRY_BACKOFF_MAX": 300.0,
    # Seconds a chat webhook exchange may take in all (connecting, the answer, its body): a
    # total deadline, kept below both sending timeouts (manage.py check says so).
    "NOTIFICATIONS_WEBHOOK_TIMEOUT": 10.0,
    # Change notices: one message per person per batch window, sent once the window has
    # been closed for the settle time; notices older than the lookback are not sent.
    "NOTIFICATIONS_CHANGE_BATCH": 300,
    "NOTIFICATIONS_CHANGE_SETTLE": 60,
    "NOTIFICATIONS_CHANGE_LOOKBACK": 6 * 3600,
    # A handoff message still goes out this long after the shift started (scanner downtime).
    "NOTIFICATIONS_HANDOFF_GRACE": 1800,
    # Messages about duty starting within this many seconds ignore quiet hours.
    "NOTIFICATIONS_URGENT_WITHIN": 2 * 3600,
    # Buffer alerts: the shares of a team's sprint buffer (percent, as the load report shows
    # them) at which its managers are told, once each per sprint.
    "NOTIFICATIONS_CAPACITY_THRESHOLDS": (80, 100),
    # A timebox that ran out while the scanner was down is still told this long afterwards.
    "NOTIFICATIONS_TIMEBOX_GRACE": 24 * 3600,
    # The triage agenda lists undecided bugs filed longer ago than this as waiting.
    "NOTIFICATIONS_TRIAGE_WAITING_DAYS": 7,
    # How many overdue deliveries one scan re-enqueues at most.
    "NOTIFICATIONS_REQUEUE_BATCH": 1000,
    # The Celery queue for sending (None: Celery's default queue).
    "NOTIFICATIONS_TASK_QUEUE": None,
    # Seconds to wait before each send; 0 in real use, set by tests to catch a send mid-way.
    "NOTIFICATIONS_SEND_DELAY": 0.0,
}


def setting(name: str):
    """Return the configured value of one of the app's tunables."""
    return getattr(settings, name, DEFAULTS[name])


def seconds(name: str) -> datetime.timedelta:
    """Return a tunable given in seconds as a timedelta."""
    return datetime.timedelta(seconds=setting(name))
