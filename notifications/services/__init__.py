"""Writes of the notifications app; import services from here."""

from .changes import change_notices_collect
from .preferences import preference_feed_busy_changed, preference_get, preference_update
from .scan import (
    ScanResult,
    capacity_alerts_scan,
    deliveries_create,
    deliveries_requeue,
    enqueue_send,
    notifications_scan,
    rota_warnings_scan,
)
from .send import (
    SendResult,
    SentUnrecorded,
    backoff,
    delivery_claim,
    delivery_retry,
    delivery_send,
    delivery_sent_record,
)

__all__ = [
    "ScanResult",
    "SendResult",
    "SentUnrecorded",
    "backoff",
    "capacity_alerts_scan",
    "change_notices_collect",
    "deliveries_create",
    "deliveries_requeue",
    "delivery_claim",
    "delivery_retry",
    "delivery_send",
    "delivery_sent_record",
    "enqueue_send",
    "notifications_scan",
    "preference_feed_busy_changed",
    "preference_get",
    "preference_update",
    "rota_warnings_scan",
]
