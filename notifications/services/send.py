"""Send one delivery: claim it, compose it, hand it to its channel, record the outcome."""

import datetime
import logging
import time
import uuid
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..channels import ChannelError, deliver
from ..conf import seconds, setting
from ..content import compose
from ..messages import NoLongerApplies
from ..models import Delivery

logger = logging.getLogger(__name__)

Status = Delivery.Status
# A retry may arrive a moment before the time it was scheduled for.
EARLY = datetime.timedelta(seconds=2)


class SentUnrecorded(Exception):
    """A delivery went out but recording it failed (the database went away meanwhile).

    ``delivery_sent_record`` records it with the worker's claim ``token`` once the database
    is back, unless the delivery was taken over after the sending timeout.
    """

    def __init__(self, delivery_id: int, token: uuid.UUID, subject: str, sent_at):
        super().__init__(f"Delivery {delivery_id} was sent at {sent_at} but not recorded")
        self.delivery_id, self.token, self.subject, self.sent_at = (
            delivery_id,
            token,
            subject,
            sent_at,
        )


@dataclass(frozen=True)
class SendResult:
    status: str  # sent, failed, skipped, retry, or "busy" when not claimed
    retry_in: float | None = None


def delivery_claim(
    *, delivery_id: int, now: datetime.datetime, token: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Claim a delivery for sending; return the claim token, or None if it is not ours.

    One conditional UPDATE: a row is claimable while pending and due, or while "sending"
    under a claim older than the sending timeout (its worker died). Of several workers
    racing for one row, the database lets exactly one update match.
    """
    token = token or uuid.uuid4()
    claimable = (
        Q(status=Status.PENDING, not_before__lte=now + EARLY)
        | Q(
            # The same attempt again (a retry after a database error before anything was sent).
            status=Status.SENDING,
            claim=token,
        )
        | Q(status=Status.SENDING, claimed_at__lt=now - seconds("NOTIFICATIONS_SENDING_TIMEOUT"))
    )
    won = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Status.SENDING,
        claim=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return token if won else None


def _finish(delivery_id: int, token: uuid.UUID, **values) -> bool:
    """Record an outcome, unless another worker has taken the delivery over meanwhile."""
    values.setdefault("updated_at", timezone.now())
    return bool(Delivery.objects.filter(pk=delivery_id, claim=token).update(**values))


def backoff(attempt: int) -> float:
    """Return the wait before the attempt after ``attempt``: doubling, capped."""
    base = setting("NOTIFICATIONS_RETRY_BACKOFF")
    return min(base * 2 ** (attempt - 1), setting("NOTIFICATIONS_RETRY_BACKOFF_MAX"))


def _failed(delivery: Delivery, token, error: str, *, permanent: bool, now) -> SendResult:
    if permanent or delivery.attempts >= setting("NOTIFICATIONS_MAX_ATTEMPTS"):
        _finish(delivery.pk, token, status=Status.FAILED, last_error=error[:2000], claim=None)
        logger.warning("Delivery %s failed for good: %s", delivery.pk, error)
        return SendResult(Status.FAILED.value)
    wait = backoff(delivery.attempts)
    _finish(
        delivery.pk,
        token,
        status=Status.PENDING,
        last_error=error[:2000],
        not_before=now + datetime.timedelta(seconds=wait),
        enqueued_at=now,
        claim=None,
    )
    logger.info(
        "Delivery %s failed (attempt %s), retrying in %ss: %s",
        delivery.pk,
        delivery.attempts,
        wait,
        error,
    )
    return SendResult("retry", retry_in=wait)


def delivery_send(
    *, delivery_id: int, now: datetime.datetime | None = None, token: uuid.UUID | None = None
) -> SendResult:
    """Send a delivery once: claim it, compose its message as of now, send, record.

    Claim, send, record: no transaction is open while sending. ``token`` names the attempt
    (the send task passes its task id, which its retries keep): an attempt that met a
    database error before sending takes its own claim back at once. Raise ``SentUnrecorded``
    when the message went out but recording it failed; database errors while claiming
    propagate (the task retries them). A delivery whose outcome is never recorded is
    claimed again after NOTIFICATIONS_SENDING_TIMEOUT and sent with the same key, by which
    a receiver knows it (``X-Rota-Delivery``, the Message-ID).

    A delivery that no longer applies (its shift was reassigned, moved or deleted, or the
    person turned the channel off) is recorded as skipped. A failed send is retried after a
    backoff, up to NOTIFICATIONS_MAX_ATTEMPTS, then recorded as failed.
    """
    now = now or timezone.now()
    token = delivery_claim(delivery_id=delivery_id, now=now, token=token)
    if token is None:
        return SendResult("busy")
    delivery = Delivery.objects.select_related("user", "team").get(pk=delivery_id)
    if delivery.attempts > setting("NOTIFICATIONS_MAX_ATTEMPTS"):
        # Claimed again and again without an outcome: its workers keep dying on it.
        error = f"Gave up after {delivery.attempts - 1} attempts that never finished."
        return _failed(delivery, token, error, permanent=True, now=now)
    try:
        message = compose(delivery, now=now)
    except NoLongerApplies as exc:
        _finish(delivery.pk, token, status=Status.SKIPPED, last_error=str(exc), claim=None)
        return SendResult(Status.SKIPPED.value)
    except DatabaseError:
        raise  # the database, not the message: the task retries it with a backoff
    except Exception as exc:
        logger.exception("Could not compose delivery %s", delivery.pk)
        return _failed(delivery, token, f"Could not compose: {exc!r}", permanent=False, now=now)
    delay = setting("NOTIFICATIONS_SEND_DELAY")
    if delay:
        time.sleep(delay)
    try:
        deliver(message)
    except ChannelError as exc:
        return _failed(delivery, token, str(exc), permanent=exc.permanent, now=now)
    except Exception as exc:
        logger.exception("Unexpected error sending delivery %s", delivery.pk)
        return _failed(delivery, token, f"Unexpected error: {exc!r}", permanent=False, now=now)
    sent_at = timezone.now()
    try:
        delivery_sent_record(
            delivery_id=delivery.pk, token=token, subject=message.subject, sent_at=sent_at
        )
    except DatabaseError as exc:
        raise SentUnrecorded(delivery.pk, token, message.subject, sent_at) from exc
    logger.info(
        "Sent %s %s to %s: %s",
        delivery.channel,
        delivery.kind,
        delivery.recipient_label,
        message.subject,
    )
    return SendResult(Status.SENT.value)


def delivery_sent_record(
    *, delivery_id: int, token: uuid.UUID, subject: str, sent_at: datetime.datetime
) -> bool:
    """Record that a claimed delivery went out; False if another worker took it over."""
    return _finish(
        delivery_id,
        token,
        status=Status.SENT,
        subject=subject[:300],
        sent_at=sent_at,
        last_error="",
        claim=None,
    )


def delivery_retry(*, delivery: Delivery, now: datetime.datetime | None = None) -> bool:
    """Send a failed or skipped delivery again (an admin's decision); return whether it was."""
    from .scan import enqueue_send

    now = now or timezone.now()
    with transaction.atomic():
        again = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Status.FAILED, Status.SKIPPED]
        ).update(
            status=Status.PENDING,
            attempts=0,
            not_before=now,
            enqueued_at=now,
            claim=None,
            updated_at=now,
        )
        if again:
            transaction.on_commit(lambda: enqueue_send([delivery.pk]))
    return bool(again)
