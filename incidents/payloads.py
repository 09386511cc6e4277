"""Read alert payloads into plain ``Alert`` records: bytes in, alerts out, no database.

Two formats are understood:

* Prometheus Alertmanager's webhook (version 4): ``version``, ``groupKey``, ``status``,
  ``receiver``, ``groupLabels``, ``commonLabels``, ``commonAnnotations``, ``externalURL`` and
  ``alerts`` (each with ``status``, ``labels``, ``annotations``, ``startsAt``, ``endsAt``,
  ``generatorURL``, ``fingerprint``) and ``truncatedAlerts``. Grouped per notification group
  (``groupKey``) or per alert (``fingerprint``), as the integration says. Field meanings:
  https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
* Rota's generic JSON: ``title``, ``status`` (``firing`` or ``resolved``), ``fingerprint``,
  ``severity``, ``urgency``, ``component``, ``description``, ``links``, ``starts_at``.

Every alert also carries its ``items``: each alert inside it with its own identity and times,
so ingestion can tell a late or repeated notification from a new firing.

Anything else raises ``BadPayload`` with a message per problem. So does a body no database
can keep or no reader should have to walk: objects and lists nested deeper than
``MAX_DEPTH``, ``NaN``/``Infinity`` (not JSON, RFC 8259 section 6), and any key or string
holding a NUL character or a lone UTF-16 surrogate (``"\\ud800"``; RFC 8259 section 8.2
leaves their meaning undefined, and PostgreSQL text and jsonb cannot hold either).
"""

import datetime
import hashlib
import json
import math
import re
from dataclasses import dataclass, field

import ciso8601

from core.timebounds import EARLIEST_DAY, LATEST_DAY, in_bounds

from .exceptions import BadPayload
from .models import Severity, Urgency

FIRING, RESOLVED = "firing", "resolved"
STATUSES = (FIRING, RESOLVED)
TITLE_MAX = 200
FINGERPRINT_MAX = 200
# Alertmanager's deepest path is alerts[n].labels.name (depth 3); generic links are depth 2.
MAX_DEPTH = 16

# Severity labels as monitoring systems spell them, mapped to Rota's levels.
SEVERITY_WORDS = {
    Severity.SEV1: {"sev1", "sev-1", "p1", "critical", "crit", "page", "emergency", "fatal"},
    Severity.SEV2: {"sev2", "sev-2", "p2", "major", "high", "error", "err"},
    Severity.SEV3: {"sev3", "sev-3", "p3", "minor", "medium", "warning", "warn"},
    Severity.SEV4: {"sev4", "sev-4", "p4", "low", "info", "informational", "none", "debug"},
}
SEVERITY_BY_WORD = {word: level for level, words in SEVERITY_WORDS.items() for word in words}


@dataclass(frozen=True)
class AlertItem:
    """One alert inside a delivery: its own identity, status and times (aware, UTC).

    ``starts_at`` is None when the sender gave no start; ``ends_at`` is None unless the alert
    resolved (Alertmanager's ``endsAt`` of a firing alert is only an expected expiry).
    """

    key: str
    status: str
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Alert:
    """One alert (or Alertmanager group) as Rota needs it, whatever format it came in."""

    status: str
    fingerprint: str
    title: str
    description: str = ""
    severity: str | None = None
    urgency: str | None = None
    components: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    data: dict = field(default_factory=dict)
    items: tuple[AlertItem, ...] = ()
    # Alerts Alertmanager left out of the notification (its max_alerts), unseen by Rota.
    truncated: int = 0

    @property
    def firing(self) -> bool:
        return self.status == FIRING


def severity_from(value) -> str | None:
    """Return the Rota severity a label value names, or None."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word.upper() in Severity.values:
        return word.upper()
    return SEVERITY_BY_WORD.get(word)


def urgency_from(value) -> str | None:
    if isinstance(value, str) and value.strip().lower() in Urgency.values:
        return value.strip().lower()
    return None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _not_json(name: str):
    raise ValueError(f"{name} is not a JSON number")


def printable(text: str) -> str:
    """Return ``text`` with control characters and lone surrogates written as ``\\uXXXX``.

    The result can be stored in any database text column and written to any log.
    """
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_UNSAFE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    if _SURROGATE.search(text):
        return "a lone UTF-16 surrogate (like \\ud800)"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _hostile_parts(payload) -> list[str]:
    """Name every key or string that cannot be stored, and nesting beyond ``MAX_DEPTH``.

    Walks without recursion, so a deep body cannot exhaust the stack here either.
    """
    problems: list[str] = []
    stack = [(payload, "", 0)]
    while stack and len(problems) < 10:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                problems.append(f"{where or 'The body'} contains {problem}.")
            continue
        if isinstance(value, float) and not math.isfinite(value):
            # 1e400 decodes to infinity, which JSON (and PostgreSQL's jsonb) cannot hold.
            problems.append(f"{where or 'The body'} is a number too large for JSON.")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            problems.append(f"{where} nests deeper than {MAX_DEPTH} levels of objects and lists.")
            continue
        if isinstance(value, list):
            children = [(item, f"{where}[{n}]") for n, item in enumerate(value)]
        else:
            children = []
            for key, item in value.items():
                name = printable(key)
                path = f"{where}.{name}" if where else name
                problem = _text_problem(key)
                if problem:
                    problems.append(f"The key {path} contains {problem}.")
                children.append((item, path))
        stack.extend((item, path, depth + 1) for item, path in reversed(children))
    return problems


def load_json(body: bytes):
    """Decode a JSON body, refusing anything that is not a JSON object or cannot be stored.

    Raises ``BadPayload`` naming each key or string with a NUL character or a lone surrogate,
    nesting deeper than ``MAX_DEPTH``, ``NaN``/``Infinity`` and numbers too large for a float.
    """
    try:
        payload = json.loads(body, parse_constant=_not_json)
    except RecursionError:
        raise BadPayload(
            f"The body nests deeper than {MAX_DEPTH} levels of objects and lists."
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(payload, dict):
        raise BadPayload("The body must be a JSON object.")
    problems = _hostile_parts(payload)
    if problems:
        raise BadPayload(f"This payload cannot be stored: {' '.join(problems)}", problems)
    return payload


class _Checker:
    """Collect every problem of a payload, so the sender learns them all at once."""

    def __init__(self):
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def mapping(self, value, where: str, *, required=True) -> dict:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{where} must be an object of strings.")
            return {}
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        if bad:
            self.fail(f"{where}.{bad[0]} must be a string.")
        return {k: v for k, v in value.items() if isinstance(v, str)}

    def text(self, value, where: str, *, required=False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(
                f"{where} must be a non-empty string." if required else f"{where} must be a string."
            )
            return ""
        return value

    def instant(self, value, where: str) -> datetime.datetime | None:
        """Read an RFC 3339 date-time (§5.6); None for nothing or Go's zero time.

        Strictly the grammar of RFC 3339 §5.6: full date, ``T`` (or ``t``, or a space as its
        note allows), time with seconds and optional fraction, and ``Z``/``z`` or ``±hh:mm``.
        Other ISO 8601 forms (``20261130T060000Z``, week dates) are refused. Parsed by
        ``ciso8601.parse_rfc3339``.
        """
        if value is None:
            return None
        parsed = None
        if isinstance(value, str):
            try:
                parsed = ciso8601.parse_rfc3339(value)
            except ValueError:
                parsed = None
        if parsed is None:
            self.fail(
                f"{where} must be an RFC 3339 date-time with a UTC offset "
                f"(like 2030-01-07T09:58:30Z), not {_json(value)}."
            )
            return None
        # Alertmanager writes Go's zero time, 0001-01-01T00:00:00Z, for "no end".
        if parsed.year <= 1:
            return None
        # Rota keeps times in 2000-2100 (core.timebounds); near year 9999 even the conversion
        # to UTC overflows.
        if not in_bounds(parsed):
            self.fail(
                f"{where} must lie between {EARLIEST_DAY} and {LATEST_DAY} (UTC), "
                f"not {_json(value)}."
            )
            return None
        return parsed.astimezone(datetime.UTC)

    def count(self, value, where: str) -> int:
        if value is None:
            return 0
        # JSON's true and false are not numbers, though Python's bool is an int.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"{where} must be a whole number of at least 0, not {_json(value)}.")
            return 0
        return value

    def status(self, value, where: str) -> str:
        if value not in STATUSES:
            self.fail(f"{where} must be 'firing' or 'resolved', not {_json(value)}.")
            return FIRING
        return value

    def raise_if_failed(self, what: str) -> None:
        if self.errors:
            raise BadPayload(
                f"This is not a valid {what} payload: {' '.join(self.errors)}", self.errors
            )


def _json(value) -> str:
    """Quote a received value as the sender wrote it: JSON (true, null, "text"), not Python."""
    return json.dumps(value, ensure_ascii=False)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- Alertmanager ---------------------------------------------------------------------------


def _am_alerts(payload: dict, check: _Checker) -> tuple[list[dict], list[AlertItem]]:
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
    fingerprint = alert["fingerprint"] or _digest(json.dumps(alert["labels"], sort_keys=True))[:16]
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
    check = _Checker()
    version = payload.get("version")
    if version is not None and str(version) != "4":
        raise BadPayload(
            f"Unsupported Alertmanager webhook version {_json(version)}; Rota reads 4."
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
                fingerprint=f"am-group:{_digest(group_key)}",
                title=_clip(title, TITLE_MAX),
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
                title=_clip(title, TITLE_MAX),
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


# --- Generic JSON ---------------------------------------------------------------------------

GENERIC_FIELDS = {
    "title",
    "status",
    "fingerprint",
    "severity",
    "urgency",
    "component",
    "description",
    "links",
    "starts_at",
}


def _generic_links(value, check: _Checker) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.fail("links must be a list of URLs or of {href, text} objects.")
        return ()
    links = []
    for n, item in enumerate(value):
        if isinstance(item, str) and item.startswith(("http://", "https://")):
            links.append((item, item))
        elif (
            isinstance(item, dict)
            and isinstance(item.get("href"), str)
            and item["href"].startswith(("http://", "https://"))
        ):
            text = item.get("text")
            links.append((item["href"], text if isinstance(text, str) and text else item["href"]))
        else:
            check.fail(f"links[{n}] must be an http(s) URL or an object with an http(s) href.")
    return tuple(links)


def parse_generic(body: bytes) -> list[Alert]:
    """Read Rota's generic JSON alert."""
    payload = load_json(body)
    check = _Checker()
    unknown = sorted(set(payload) - GENERIC_FIELDS)
    if unknown:
        check.fail(f"Unknown field(s): {', '.join(unknown)}.")
    status = check.status(payload.get("status", FIRING), "status")
    title = check.text(payload.get("title"), "title", required=status == FIRING)
    fingerprint = check.text(payload.get("fingerprint"), "fingerprint")
    if status == RESOLVED and not (fingerprint or title):
        check.fail("A resolved alert needs its fingerprint (or the title it fired with).")
    if len(fingerprint) > FINGERPRINT_MAX:
        check.fail(f"fingerprint must be at most {FINGERPRINT_MAX} characters.")
    severity = None
    if payload.get("severity") is not None:
        severity = severity_from(payload["severity"])
        if severity is None:
            check.fail(
                f"severity {_json(payload['severity'])} is unknown; use SEV1-SEV4 "
                "(or critical, major, minor, low)."
            )
    urgency = None
    if payload.get("urgency") is not None:
        urgency = urgency_from(payload["urgency"])
        if urgency is None:
            check.fail("urgency must be 'interrupting' or 'backlog'.")
    component = check.text(payload.get("component"), "component")
    description = check.text(payload.get("description"), "description")
    links = _generic_links(payload.get("links"), check)
    starts_at = check.instant(payload.get("starts_at"), "starts_at")
    check.raise_if_failed("generic alert")
    key = "generic:" + (fingerprint or _digest(f"{component}\n{title.strip()}"))
    return [
        Alert(
            status=status,
            fingerprint=key,
            title=_clip(title or fingerprint, TITLE_MAX),
            description=description,
            severity=severity,
            urgency=urgency,
            components=(component.strip(),) if component.strip() else (),
            links=links,
            data={"format": "generic", "payload": payload},
            items=(AlertItem(key=key, status=status, starts_at=starts_at),),
        )
    ]


def parse(kind: str, body: bytes, *, grouping: str = "group") -> list[Alert]:
    """Read a body in the integration's format."""
    if kind == "alertmanager":
        return parse_alertmanager(body, grouping=grouping)
    return parse_generic(body)
