"""Find the batches of change notices that are due: one message per person per window."""

import datetime
from collections import defaultdict

from ..conf import seconds
from ..keys import changes_key
from ..models import ChangeNotice, Delivery
from ..plans import Plan, plans_for_person
from ..recipients import recipients_for

EPOCH = datetime.datetime(2000, 1, 3, tzinfo=datetime.UTC)  # a Monday at midnight


def window_start(instant: datetime.datetime, length: datetime.timedelta) -> datetime.datetime:
    """Return the start of the batch window of ``length`` that contains ``instant``."""
    return EPOCH + ((instant - EPOCH) // length) * length


def due_change_batches(*, now: datetime.datetime) -> list[Plan]:
    """Return a plan per person and closed window holding change notices.

    A window closes ``NOTIFICATIONS_CHANGE_SETTLE`` after its end, so that a notice stamped by
    a scan that was still running at the window's end is in it before it is sent.
    """
    length = seconds("NOTIFICATIONS_CHANGE_BATCH")
    since = window_start(now - seconds("NOTIFICATIONS_CHANGE_LOOKBACK"), length)
    closed = window_start(now - seconds("NOTIFICATIONS_CHANGE_SETTLE"), length)
    if closed <= since:
        return []
    urgent_within = seconds("NOTIFICATIONS_URGENT_WITHIN")
    windows: dict[tuple, bool] = defaultdict(bool)
    for user_id, recorded_at, starts_at in ChangeNotice.objects.filter(
        recorded_at__gte=since, recorded_at__lt=closed
    ).values_list("user_id", "recorded_at", "starts_at"):
        soon = starts_at - now <= urgent_within
        key = (user_id, window_start(recorded_at, length))
        windows[key] = windows[key] or soon
    people = recipients_for({user_id for user_id, _ in windows})
    plans = []
    for (user_id, start), urgent in sorted(windows.items()):
        if user_id not in people:
            continue
        plans += plans_for_person(
            people[user_id],
            kind=Delivery.Kind.CHANGES,
            key=changes_key(user_id=user_id, window_start=start),
            now=now,
            occurs_at=start,
            urgent=urgent,
            payload={"window_end": (start + length).isoformat()},
        )
    return plans
