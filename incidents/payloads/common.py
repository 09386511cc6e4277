"""What both payload formats share: the Alert records, severity words, checks of hostile JSON."""

import datetime
import hashlib
import json
import math
import re
from dataclasses import dataclass, field

import ciso8601

from core.timebounds import EARLIEST_DAY, LATEST_DAY, in_bounds

from ..exceptions import BadPayload
from ..models import Severity, Urgency

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


def digest(text: str) -> str:
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


class Checker:
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
                f"(like 2030-01-07T09:58:30Z), not {compact_json(value)}."
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
                f"not {compact_json(value)}."
            )
            return None
        return parsed.astimezone(datetime.UTC)

    def count(self, value, where: str) -> int:
        if value is None:
            return 0
        # JSON's true and false are not numbers, though Python's bool is an int.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"{where} must be a whole number of at least 0, not {compact_json(value)}.")
            return 0
        return value

    def status(self, value, where: str) -> str:
        if value not in STATUSES:
            self.fail(f"{where} must be 'firing' or 'resolved', not {compact_json(value)}.")
            return FIRING
        return value

    def raise_if_failed(self, what: str) -> None:
        if self.errors:
            raise BadPayload(
                f"This is not a valid {what} payload: {' '.join(self.errors)}", self.errors
            )


def compact_json(value) -> str:
    """Quote a received value as the sender wrote it: JSON (true, null, "text"), not Python."""
    return json.dumps(value, ensure_ascii=False)


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
