"""The scanner: turn what is due into delivery rows, exactly once, and enqueue them."""

import datetime
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import queue
from ..conf import seconds, setting
from ..models import Delivery
from ..plans import Plan
from ..recipients import chunked
from ..selectors import due_change_batches, due_handoffs, due_reminders, rota_warnings
from ..sources import plans_for
from .changes import change_notices_collect

logger = logging.getLogger(__name__)

Enqueue = Callable[[list[int]], None]


def enqueue_send(ids: list[int]) -> None:
    """Publish a send task per delivery id (the default way deliveries reach a worker)."""
    queue.publish_sends(ids)


@dataclass
class ScanResult:
    found: int = 0
    created: int = 0
    enqueued: int = 0
    requeued: int = 0
    notices: int = 0


def _existing(plans: list[Plan]) -> set[tuple[str, str]]:
    keys = sorted({plan.key for plan in plans})
    found = set()
    for batch in chunked(keys):
        found.update(Delivery.objects.filter(key__in=batch).values_list("key", "channel"))
    return found


def deliveries_create(
    *, plans: Iterable[Plan], now: datetime.datetime, enqueue: Enqueue | None = None
) -> tuple[int, list[int]]:
    """Insert a delivery row per plan unless its key already has one; enqueue the due ones.

    Rows go in with INSERT ... ON CONFLICT DO NOTHING on the unique (key, channel), marked with
    this call's batch id: whatever another scanner inserted first is left alone, and only the
    rows this call inserted are enqueued, after the transaction commits. Return the number of
    rows created and the ids enqueued.
    """
    unique = {plan.identity: plan for plan in plans}
    if not unique:
        return 0, []
    existing = _existing(list(unique.values()))
    batch = uuid.uuid4()
    rows = [
        plan.to_row(batch=batch, now=now)
        for identity, plan in unique.items()
        if identity not in existing
    ]
    if not rows:
        return 0, []
    enqueue = enqueue or enqueue_send
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        mine = list(
            Delivery.objects.filter(batch=batch).values_list("pk", "enqueued_at").order_by("pk")
        )
        due = [pk for pk, enqueued_at in mine if enqueued_at is not None]
        if due:
            transaction.on_commit(lambda: enqueue(due))
    return len(mine), due


def deliveries_requeue(*, now: datetime.datetime, enqueue: Enqueue | None = None) -> list[int]:
    """Enqueue again what should be moving and is not; return the ids.

    That is a pending row whose time has come but which was never enqueued (quiet hours) or
    was enqueued long ago (the broker lost the message, or the process died between commit
    and publish), and a row claimed by a worker that has not finished within the sending
    timeout (the worker died). The send task's claim makes a superfluous enqueue harmless.
    """
    cutoff = now - seconds("NOTIFICATIONS_REQUEUE_AFTER")
    stale = now - seconds("NOTIFICATIONS_SENDING_TIMEOUT")
    idle = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)
    overdue = (Q(status=Delivery.Status.PENDING, not_before__lte=now) & idle) | (
        Q(status=Delivery.Status.SENDING, claimed_at__lt=stale) & idle
    )
    enqueue = enqueue or enqueue_send
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(overdue)
            .order_by("not_before", "pk")
            .values_list("pk", flat=True)[: setting("NOTIFICATIONS_REQUEUE_BATCH")]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
            transaction.on_commit(lambda: enqueue(ids))
    return ids


def notifications_scan(
    *, now: datetime.datetime | None = None, enqueue: Enqueue | None = None
) -> ScanResult:
    """Find every reminder, handoff, batch of change notices, triage agenda and timebox
    notice due now, and send them.

    Safe to run at any time, repeatedly and concurrently: a finding becomes a delivery row
    once, and a row is sent once.
    """
    now = now or timezone.now()
    result = ScanResult()
    result.notices = change_notices_collect(now=now)
    plans = due_reminders(now=now) + due_handoffs(now=now) + due_change_batches(now=now)
    plans += plans_for("scan", now=now)  # triage agendas and timebox notices (incidents)
    result.found = len(plans)
    result.created, enqueued = deliveries_create(plans=plans, now=now, enqueue=enqueue)
    result.requeued = len(deliveries_requeue(now=now, enqueue=enqueue))
    result.enqueued = len(enqueued) + result.requeued
    if result.created or result.requeued:
        logger.info(
            "Notification scan: %d due, %d new deliveries, %d enqueued again",
            result.found,
            result.created,
            result.requeued,
        )
    return result


def rota_warnings_scan(
    *, now: datetime.datetime | None = None, enqueue: Enqueue | None = None
) -> ScanResult:
    """Warn each manager about their rotations' problems in the coming weeks, once a week."""
    now = now or timezone.now()
    plans = rota_warnings(now=now)
    created, enqueued = deliveries_create(plans=plans, now=now, enqueue=enqueue)
    return ScanResult(found=len(plans), created=created, enqueued=len(enqueued))


def capacity_alerts_scan(
    *, now: datetime.datetime | None = None, enqueue: Enqueue | None = None
) -> ScanResult:
    """Tell the managers of each team whose load passed a threshold of its sprint buffer.

    Once per team, threshold and sprint (see ``reports.notices.capacity``); safe to
    run at any time, repeatedly and concurrently.
    """
    now = now or timezone.now()
    plans = plans_for("capacity", now=now)
    created, enqueued = deliveries_create(plans=plans, now=now, enqueue=enqueue)
    return ScanResult(found=len(plans), created=created, enqueued=len(enqueued))
