"""The recorded start and end of each alert, read to tell repeats and late resolutions.

The rules are stated in :mod:`incidents.services.alerts`; the ingestion there applies them.
"""

from collections import defaultdict

from .. import payloads
from ..models import AlertState, Incident, Integration
from ._rows import rows


def repeated_firing(item: payloads.AlertItem, state: AlertState | None) -> bool:
    """Whether a firing alert is one already seen ended, or older than the last firing seen."""
    if item.status != payloads.FIRING or item.starts_at is None or state is None:
        return False
    if state.starts_at is not None and item.starts_at < state.starts_at:
        return True
    return (
        state.status == AlertState.Status.RESOLVED
        and state.ends_at is not None
        and item.starts_at <= state.ends_at
    )


def late_resolution(item: payloads.AlertItem, state: AlertState | None) -> bool:
    """Whether a resolved alert ends a firing older than the last firing seen."""
    return (
        item.status == payloads.RESOLVED
        and item.starts_at is not None
        and state is not None
        and state.starts_at is not None
        and item.starts_at < state.starts_at
    )


_FIELDS = ("status", "starts_at", "ends_at", "incident")
_ALL = ("id", "integration", "key", *_FIELDS, "updated_at")


def _fields(state: AlertState) -> tuple:
    return (state.status, state.starts_at, state.ends_at, state.incident_id)


class AlertStates:
    """The recorded alert states of one delivery: one query to read, two to write."""

    def __init__(self, integration: Integration, alerts, now):
        self.integration, self.now = integration, now
        keys = {item.key for alert in alerts for item in alert.items}
        # Locked in key order, so deliveries sharing alerts queue rather than deadlock. Built
        # by hand (see ``_rows``); the incidents they fed are not joined: only a repeat reads
        # one (by id).
        found = rows(
            AlertState,
            fields=_ALL,
            where=[("integration", "=", integration.pk), ("key", "in", sorted(keys))],
            order_by="key",
            lock=True,
        )
        self.by_key = {state.key: state for state in found}
        self.new: dict[str, AlertState] = {}
        self.changed: dict[str, AlertState] = {}

    def get(self, key: str) -> AlertState | None:
        return self.by_key.get(key)

    def record(self, alert: payloads.Alert, incident: Incident | None) -> None:
        """Remember the start and end of each alert of ``alert`` that is not a repeat."""
        for item in alert.items:
            state = self.by_key.get(item.key)
            if repeated_firing(item, state) or late_resolution(item, state):
                continue  # an old message must not move the record back in time
            if state is None:
                state = AlertState(
                    integration=self.integration,
                    key=item.key,
                    status=item.status,
                    updated_at=self.now,
                )
                self.by_key[item.key] = self.new[item.key] = state
            before = _fields(state)
            if item.status == payloads.FIRING:
                fresh = item.starts_at is not None and (
                    state.starts_at is None or item.starts_at > state.starts_at
                )
                if state.status == AlertState.Status.RESOLVED or fresh or state.pk is None:
                    state.starts_at = item.starts_at
                state.status, state.ends_at = AlertState.Status.FIRING, None
            else:
                # Without an end (Rota's generic format has none) the firing's own start
                # marks it: a later firing must have started after it.
                ends = [
                    t
                    for t in (item.ends_at, item.starts_at, state.starts_at, state.ends_at)
                    if t is not None
                ]
                state.status = AlertState.Status.RESOLVED
                state.starts_at = item.starts_at or state.starts_at
                state.ends_at = max(ends) if ends else None
            if incident is not None:
                state.incident = incident
            if state.pk is not None and _fields(state) != before:
                # Only what changed is written: a plain repeat costs no write.
                state.updated_at = self.now
                self.changed[item.key] = state

    def save(self) -> None:
        if self.new:
            # Two HA replicas may insert the same alert at once; their records agree.
            AlertState.objects.bulk_create(self.new.values(), ignore_conflicts=True)
        # One UPDATE per distinct set of new values: alerts that change together (a group
        # resolving at one time) share one. bulk_update's CASE expressions cost about 1 ms of
        # CPU a row to build, ten times a plain UPDATE.
        batches = defaultdict(list)
        for state in self.changed.values():
            batches[_fields(state)].append(state.pk)
        for (status, starts_at, ends_at, incident_id), ids in batches.items():
            AlertState.objects.filter(pk__in=ids).update(
                status=status,
                starts_at=starts_at,
                ends_at=ends_at,
                incident=incident_id,
                updated_at=self.now,
            )
