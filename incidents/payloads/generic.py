"""Rota's generic JSON alert format: one alert per body."""

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


def _generic_links(value, check: Checker) -> tuple[tuple[str, str], ...]:
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
    check = Checker()
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
                f"severity {compact_json(payload['severity'])} is unknown; use SEV1-SEV4 "
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
    key = "generic:" + (fingerprint or digest(f"{component}\n{title.strip()}"))
    return [
        Alert(
            status=status,
            fingerprint=key,
            title=clip(title or fingerprint, TITLE_MAX),
            description=description,
            severity=severity,
            urgency=urgency,
            components=(component.strip(),) if component.strip() else (),
            links=links,
            data={"format": "generic", "payload": payload},
            items=(AlertItem(key=key, status=status, starts_at=starts_at),),
        )
    ]
