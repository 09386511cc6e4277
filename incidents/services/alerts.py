"""Alert ingestion: authenticate a webhook request, read its alerts, open or group incidents.

Every refused request that reached a known integration (bad signature, stale timestamp, bad
payload, oversized body, inactive integration) is kept in the inbox with its raw body, so an
alert is never lost silently; only rate-limited requests are not stored (the sender retries).

Senders repeat themselves: Alertmanager sends a group again every ``repeat_interval``, both
members of an HA pair send the same notification, failed sends are retried, and an old
"firing" can arrive after the "resolved". Each alert's last known start and end are kept
(``AlertState``) and read with these rules:

* a firing alert that started no later than the recorded end of that alert, or before the
  start of a later firing already seen, is a *repeat*: it joins an open incident as usual,
  and with no open incident it is only noted on the incident it fed, nobody is paged;
* a firing alert that started after the recorded end (or with nothing recorded, or with no
  start given) is a new firing and opens an incident when none is open;
* a resolved alert for a firing older than the one last seen is *late*: noted, it resolves
  nothing;
* a grouped notification (one incident per ``groupKey``) is a repeat only when all of its
  firing alerts are, and never when Alertmanager left alerts out of it (``truncatedAlerts``).
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ownership.models import Component

from .. import payloads
from ..exceptions import (
    AlertRefused,
    BadPayload,
    IntegrationInactive,
    PayloadTooLarge,
)
from ..models import AlertState, InboxItem, Incident, Integration, TimelineEntry
from ..models.choices import default_urgency
from ..security import check_rate, safe_headers, verify_signature
from ._common import timeline_add
from ._rows import rows
from .alert_states import AlertStates, late_resolution, repeated_firing
from .incidents import incident_create, incident_resolve, incident_update

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


@dataclass
class IngestResult:
    """What a webhook request did, as ids of incidents."""

    created: list[int] = field(default_factory=list)
    grouped: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    # Resolved incidents on which a repeated or late firing was only noted (nobody paged).
    repeats: list[int] = field(default_factory=list)
    ignored: int = 0
    # Created incidents for which routing found nobody to page (no one on call, no fallback).
    nobody_paged: list[int] = field(default_factory=list)

    @property
    def incident_ids(self) -> list[int]:
        return sorted(set(self.created + self.grouped + self.resolved + self.repeats))

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "grouped": self.grouped,
            "resolved": self.resolved,
            "repeats": self.repeats,
            "ignored": self.ignored,
            "nobody_paged": self.nobody_paged,
        }


def inbox_record(
    *, integration: Integration | None, body: bytes, headers, error: AlertRefused, now=None
) -> InboxItem:
    """Keep a refused request (raw body, headers without secrets, why) for inspection."""
    item = InboxItem.objects.create(
        integration=integration,
        received_at=now or timezone.now(),
        body=body,
        # The body is kept as bytes; text that echoes the request (headers, the error naming
        # a bad key) is escaped, since PostgreSQL text cannot hold NUL or lone surrogates.
        headers={
            payloads.printable(name): payloads.printable(value)
            for name, value in safe_headers(headers).items()
        },
        reason=error.reason if error.reason in InboxItem.Reason.values else "payload",
        error=payloads.printable(error.message[:10_000]),
        status_code=error.status_code,
    )
    logger.warning(
        "Alert request to integration %s refused (%s): %s",
        integration.pk if integration else None,
        error.status_code,
        payloads.printable(error.message[:500]),
    )
    return item


def alert_receive(
    *, integration: Integration, body: bytes | None, headers, now=None
) -> IngestResult:
    """Check and ingest one webhook request; refusals raise ``AlertRefused`` subclasses.

    ``body`` is None when the request was too large to read.
    """
    now = now or timezone.now()
    check_rate(integration_id=integration.pk, limit=integration.rate_limit_per_minute)
    try:
        if body is None or len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
        if not integration.active:
            raise IntegrationInactive("This integration is switched off; ask a manager.")
        if integration.signing_secret:
            verify_signature(
                secret=integration.signing_secret,
                headers=headers,
                body=body,
                now=now.timestamp(),
            )
        alerts = payloads.parse(integration.kind, body, grouping=integration.grouping)
        return alerts_ingest(integration=integration, alerts=alerts, now=now)
    except AlertRefused as exc:
        inbox_record(integration=integration, body=body or b"", headers=headers, error=exc, now=now)
        raise


def _components_for(integration: Integration, alerts) -> list[tuple[Component | None, str]]:
    """Return each alert's component (label component, else service) and a note.

    None stands for the integration's component, read only when an incident is opened (most
    alerts join one). A label naming no known component falls back to the next candidate;
    the note says so.
    """
    slugs = {slug for alert in alerts for slug in alert.components}
    known = {c.slug: c for c in Component.objects.filter(slug__in=slugs)} if slugs else {}
    found = []
    for alert in alerts:
        component = next((known[s] for s in alert.components if s in known), None)
        unknown = [s for s in alert.components if s not in known]
        note = ""
        if component is None and unknown:
            fallback = integration.component
            note = f"The alert names {', '.join(unknown)}, which the catalog does not know"
            note += f"; used the integration's component {fallback.slug}." if fallback else "."
        found.append((component, note))
    return found


def _no_component(alert: payloads.Alert, note: str) -> BadPayload:
    parts = [
        f"The alert {alert.title!r} has no component.",
        note,
        "Give it a label 'component' or 'service' naming a component slug, or give the "
        "integration a component.",
    ]
    return BadPayload(" ".join(part for part in parts if part))


# What ingestion reads of an open incident: grouping writes its timeline and compares the
# severity; resolving and raising the severity lock and read the whole row again.
_OPEN_FIELDS = ("id", "status", "severity", "fingerprint", "integration")


def _open_incidents(integration: Integration, fingerprints) -> dict[str, Incident]:
    """Return the open incidents of ``fingerprints`` (fingerprint to incident), locked.

    One query for a whole delivery (built by hand, see ``_rows``), locked in id order so that
    deliveries sharing fingerprints queue rather than deadlock.
    """
    found = rows(
        Incident,
        fields=_OPEN_FIELDS,
        where=[
            ("integration", "=", integration.pk),
            ("fingerprint", "in", sorted(set(fingerprints))),
            ("status", "<>", Incident.Status.RESOLVED),
        ],
        order_by="id",
        lock=True,
    )
    return {incident.fingerprint: incident for incident in found}


def _open_incident(integration: Integration, fingerprint: str) -> Incident | None:
    return _open_incidents(integration, [fingerprint]).get(fingerprint)


def _description(alert: payloads.Alert) -> str:
    parts = [alert.description] if alert.description else []
    if alert.links:
        parts.append("Links:\n" + "\n".join(f"- {text}: {href}" for href, text in alert.links))
    return "\n\n".join(parts)


def _utc(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "an unknown time"


def _alert_entry(
    incident: Incident, alert: payloads.Alert, what: str, note: str, now, extra: str = ""
) -> None:
    text = f"Alert {what}: {alert.title}"
    for part in (extra, note, _truncation_note(alert)):
        if part:
            text += f" {part}"
    data = {"fingerprint": alert.fingerprint, "status": alert.status, **alert.data}
    if alert.links:
        data["links"] = [{"href": href, "text": text} for href, text in alert.links]
    timeline_add(incident=incident, kind=TimelineEntry.Kind.ALERT, text=text, at=now, data=data)


def _truncation_note(alert: payloads.Alert) -> str:
    if not alert.truncated:
        return ""
    n = alert.truncated
    return (
        f"Alertmanager left {n} more alert{'s' if n != 1 else ''} out of this notification "
        "(its max_alerts); Rota has not seen them."
    )


def _mix_note(alert: payloads.Alert) -> str:
    """Say how many alerts of a group resolved while others fire, if any did."""
    done = sum(1 for item in alert.items if item.status == payloads.RESOLVED)
    if len(alert.items) < 2 or done in (0, len(alert.items)):
        return ""
    return f"({done} of {len(alert.items)} alerts resolved, the others still firing.)"


def _note_repeat(alert, repeated, states: AlertStates, note, now, result: IngestResult) -> None:
    """Note a repeated or late firing on the incident its alerts fed; page nobody."""
    fed = [states.get(item.key).incident_id for item in repeated]
    fed = [pk for pk in fed if pk is not None]
    if not fed:
        result.ignored += 1
        return
    incident = Incident.objects.only("id").get(pk=max(fed))
    latest = max(repeated, key=lambda item: item.starts_at)
    state = states.get(latest.key)
    if state.status == AlertState.Status.RESOLVED:
        why = f"it started {_utc(latest.starts_at)} and had ended {_utc(state.ends_at)}"
    else:
        why = f"it started {_utc(latest.starts_at)}, before the firing of {_utc(state.starts_at)}"
    _alert_entry(
        incident,
        alert,
        "repeated",
        note,
        now,
        f"(a late or repeated notification: {why}; no new incident, nobody paged.)",
    )
    result.repeats.append(incident.pk)


def _fire(integration, alert, component, note, now, result: IngestResult, states, opened) -> None:
    incident = opened.get(alert.fingerprint)
    if incident is None:
        firing = [item for item in alert.items if item.status == payloads.FIRING]
        repeated = [item for item in firing if repeated_firing(item, states.get(item.key))]
        if firing and len(repeated) == len(firing) and not alert.truncated:
            _note_repeat(alert, repeated, states, note, now, result)
            return
        component = component or integration.component
        if component is None:
            raise _no_component(alert, note)
        severity = alert.severity or integration.default_severity
        try:
            with transaction.atomic():
                incident = incident_create(
                    title=alert.title,
                    description=_description(alert),
                    component=component,
                    severity=severity,
                    urgency=alert.urgency or default_urgency(severity),
                    integration=integration,
                    fingerprint=alert.fingerprint,
                    at=now,
                )
                _alert_entry(incident, alert, "fired", note, now, _mix_note(alert))
        except (IntegrityError, ValidationError):
            # Another request opened the incident for this fingerprint meanwhile: join it.
            incident = _open_incident(integration, alert.fingerprint)
            if incident is None:
                raise
            opened[alert.fingerprint] = incident
        else:
            opened[alert.fingerprint] = incident
            states.record(alert, incident)
            result.created.append(incident.pk)
            if incident.nobody_paged:
                result.nobody_paged.append(incident.pk)
            return
    _alert_entry(incident, alert, "fired again", note, now, _mix_note(alert))
    if alert.severity and alert.severity < incident.severity:
        incident_update(incident=incident, severity=alert.severity)
    states.record(alert, incident)
    result.grouped.append(incident.pk)


def _clear(integration, alert, note, now, result: IngestResult, states, opened) -> None:
    incident = opened.get(alert.fingerprint)
    late = [item for item in alert.items if late_resolution(item, states.get(item.key))]
    states.record(alert, None)
    if incident is None:
        # Nothing open: already resolved (a repeated "resolved"), or never opened.
        result.ignored += 1
        return
    if late:
        state = states.get(late[0].key)
        _alert_entry(
            incident,
            alert,
            "resolved late",
            note,
            now,
            f"(it ends a firing that started {_utc(late[0].starts_at)}; the alert fired "
            f"again at {_utc(state.starts_at)}, so the incident stays open.)",
        )
        result.grouped.append(incident.pk)
        return
    _alert_entry(incident, alert, "resolved", note, now)
    if integration.resolve_on_alert_resolved:
        incident_resolve(incident=incident, at=now, source="alert")
        del opened[alert.fingerprint]
        result.resolved.append(incident.pk)
    else:
        result.grouped.append(incident.pk)


def alerts_ingest(*, integration: Integration, alerts, now=None) -> IngestResult:
    """Open, group or resolve incidents for parsed alerts, all or nothing.

    A firing alert joins the open incident with the same fingerprint from the same
    integration, or opens one routed by the component's support policy (``BadPayload`` when
    it has no component), unless it is a repeat of an alert already ended (the rules in this
    module's docstring); a resolved alert resolves it when the integration says so.
    """
    now = now or timezone.now()
    components = _components_for(integration, alerts)
    result = IngestResult()
    with transaction.atomic():
        states = AlertStates(integration, alerts, now)
        opened = _open_incidents(integration, [alert.fingerprint for alert in alerts])
        for alert, (component, note) in zip(alerts, components, strict=True):
            if alert.firing:
                _fire(integration, alert, component, note, now, result, states, opened)
            else:
                _clear(integration, alert, note, now, result, states, opened)
        states.save()
        Integration.objects.filter(pk=integration.pk).update(last_alert_at=now)
    return result


def inbox_reprocess(*, item: InboxItem, now=None) -> IngestResult:
    """Process a kept payload again (after fixing the catalog or the integration).

    Requests refused for their signature or timestamp are never processed again: they were
    not proven to come from the integration.
    """
    if item.reason in (InboxItem.Reason.SIGNATURE, InboxItem.Reason.STALE):
        raise ValidationError("Requests that failed authentication cannot be processed again.")
    if item.processed_at is not None:
        raise ValidationError("This payload was processed already.")
    if item.integration is None:
        raise ValidationError("The integration of this payload was deleted.")
    now = now or timezone.now()
    try:
        alerts = payloads.parse(
            item.integration.kind, bytes(item.body), grouping=item.integration.grouping
        )
        result = alerts_ingest(integration=item.integration, alerts=alerts, now=now)
    except BadPayload as exc:
        item.error = payloads.printable(exc.message[:10_000])
        item.save(update_fields=["error"])
        raise ValidationError(exc.message) from exc
    item.processed_at = now
    item.save(update_fields=["processed_at"])
    item.incidents.set(result.incident_ids)
    return result
