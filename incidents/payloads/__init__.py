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

from .alertmanager import parse_alertmanager
from .common import (
    FIRING,
    RESOLVED,
    Alert,
    AlertItem,
    load_json,
    printable,
    severity_from,
    urgency_from,
)
from .generic import parse_generic

__all__ = [
    "FIRING",
    "RESOLVED",
    "Alert",
    "AlertItem",
    "load_json",
    "parse",
    "parse_alertmanager",
    "parse_generic",
    "printable",
    "severity_from",
    "urgency_from",
]


def parse(kind: str, body: bytes, *, grouping: str = "group") -> list[Alert]:
    """Read a body in the integration's format."""
    if kind == "alertmanager":
        return parse_alertmanager(body, grouping=grouping)
    return parse_generic(body)
