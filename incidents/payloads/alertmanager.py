"""Prometheus Alertmanager's webhook (version 4), grouped per notification group or per alert."""

import json

from ..exceptions import BadPayload
from .common import (
    FINGERPRINT_MAX,
    FIRING,
    RESOLVED,
    TITLE_MAX,
    Alert,
    AlertItem,
    Checker,
    clip,
    compact_json,
    digest,
    load_json,
    severity_from,
    urgency_from,
)


def _am_alerts(payload: dict, check: Checker) -> tuple[list[dict], list[AlertItem]]:
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        check.fail("alerts must be a non-empty list.")
        return [], []
    rows, items = [], []
    for n, item in enumerate(alerts):
        where = f"alerts[{n}]"
        if not isinstance(item, dict):
            check.fail(f"{where} must be an object.")
            continue
        row = {
            "status": check.status(item.get("status"), f"{where}.status"),
            "labels": check.mapping(item.get("labels"), f"{where}.labels"),
            "annotations": check.mapping(
                item.get("annotations"), f"{where}.annotations", required=False
            ),
            "startsAt": check.text(item.get("startsAt"), f"{where}.startsAt"),
            "endsAt": check.text(item.get("endsAt"), f"{where}.endsAt"),
            "generatorURL": check.text(item.get("generatorURL"), f"{where}.generatorURL"),
            "fingerprint": check.text(item.get("fingerprint"), f"{where}.fingerprint"),
        }
        starts_at = check.instant(row["startsAt"] or None, f"{where}.startsAt")
        ends_at = check.instant(row["endsAt"] or None, f"{where}.endsAt")
        rows.append(row)
        items.append(
            AlertItem(
                key=_am_key(row),
                status=row["status"],
                starts_at=starts_at,
                ends_at=ends_at if row["status"] == RESOLVED else None,
            )
        )
    return rows, items


def _am_key(alert: dict) -> str:
    """Return the alert's identity: its Alertmanager fingerprint, else a digest of its labels."""
    fingerprint = alert["fingerprint"] or digest(json.dumps(alert["labels"], sort_keys=True))[:16]
    return f"am-alert:{fingerprint}"[:FINGERPRINT_MAX]


def _am_line(alert: dict) -> str:
    labels = alert["labels"]
    name = labels.get("alertname", "alert")
    detail = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
    summary = alert["annotations"].get("summary", "")
    line = f"[{alert['status']}] {name}"
    if detail:
        line += f" {{{detail}}}"
    if summary:
        line += f": {summary}"
    if alert["startsAt"]:
        line += f" (since {alert['startsAt']})"
    return line


def _am_severity(labels_in_order) -> str | None:
    """Return the worst severity named by any of the label sets."""
    found = [severity_from(labels.get("severity")) for labels in labels_in_order]
    found = [level for level in found if level]
    return min(found) if found else None


def _am_components(*label_sets) -> tuple[str, ...]:
    names = []
    for key in ("component", "service"):
        for labels in label_sets:
            value = labels.get(key, "").strip()
            if value and value not in names:
                names.append(value)
    return tuple(names)


def _am_links(alerts, external_url) -> tuple[tuple[str, str], ...]:
    links = []
    for alert in alerts:
        url = alert["generatorURL"]
        if url and all(url != href for href, _ in links):
            links.append((url, f"Source of {alert['labels'].get('alertname', 'the alert')}"))
    if external_url:
        links.append((external_url, "Alertmanager"))
    return tuple(links)


def parse_alertmanager(body: bytes, *, grouping: str = "group") -> list[Alert]:
    """Read an Alertmanager webhook (v4) into one alert per group, or one per alert."""
    payload = load_json(body)
    check = Checker()
    version = payload.get("version")
    if version is not None and str(version) != "4":
        raise BadPayload(
            f"Unsupported Alertmanager webhook version {compact_json(version)}; Rota reads 4."
        )
    status = check.status(payload.get("status"), "status")
    group_key = check.text(payload.get("groupKey"), "groupKey", required=grouping == "group")
    common_labels = check.mapping(payload.get("commonLabels"), "commonLabels", required=False)
    common_notes = check.mapping(
        payload.get("commonAnnotations"), "commonAnnotations", required=False
    )
    check.mapping(payload.get("groupLabels"), "groupLabels", required=False)
    external_url = check.text(payload.get("externalURL"), "externalURL")
    truncated = check.count(payload.get("truncatedAlerts"), "truncatedAlerts")
    alerts, items = _am_alerts(payload, check)
    check.raise_if_failed("Alertmanager")

    # Firing alerts first: they name the title, severity and component of a new incident.
    ordered = sorted(alerts, key=lambda a: a["status"] != FIRING)
    if grouping == "group":
        first = ordered[0]
        title = (
            common_notes.get("summary")
            or first["annotations"].get("summary")
            or common_labels.get("alertname")
            or first["labels"].get("alertname")
            or "Alert from Alertmanager"
        )
        description = "\n".join(
            part
            for part in [
                common_notes.get("description", ""),
                *(_am_line(alert) for alert in ordered),
            ]
            if part
        )
        return [
            Alert(
                status=status,
                fingerprint=f"am-group:{digest(group_key)}",
                title=clip(title, TITLE_MAX),
                description=description,
                severity=severity_from(common_labels.get("severity"))
                or _am_severity(a["labels"] for a in ordered if a["status"] == FIRING),
                urgency=urgency_from(common_labels.get("urgency")),
                components=_am_components(common_labels, *(a["labels"] for a in ordered)),
                links=_am_links(ordered, external_url),
                data={
                    "format": "alertmanager",
                    "receiver": payload.get("receiver", ""),
                    "groupKey": group_key,
                    "groupLabels": payload.get("groupLabels") or {},
                    "status": status,
                    "alerts": alerts,
                    "truncatedAlerts": truncated,
                },
                items=tuple(items),
                truncated=truncated,
            )
        ]
    result = []
    for alert, item in zip(alerts, items, strict=True):
        labels = alert["labels"]
        title = alert["annotations"].get("summary") or labels.get("alertname") or "Alert"
        result.append(
            Alert(
                status=alert["status"],
                fingerprint=item.key,
                title=clip(title, TITLE_MAX),
                description="\n".join(
                    p for p in [alert["annotations"].get("description", ""), _am_line(alert)] if p
                ),
                severity=severity_from(labels.get("severity"))
                or severity_from(common_labels.get("severity")),
                urgency=urgency_from(labels.get("urgency")),
                components=_am_components(labels, common_labels),
                links=_am_links([alert], external_url),
                data={
                    "format": "alertmanager",
                    "receiver": payload.get("receiver", ""),
                    "groupKey": group_key,
                    "alerts": [alert],
                    "truncatedAlerts": truncated,
                },
                items=(item,),
                truncated=truncated,
            )
        )
    return result
