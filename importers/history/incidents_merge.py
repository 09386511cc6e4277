"""How a re-import treats an incident imported before: source fingerprint, forward-only status.

An imported incident keeps a fingerprint of the values its source row gave (``source_hash``):
a re-import leaves the incident alone while the fingerprint is unchanged, whatever Rota did to
it since (a responder resolved it, say); when the source changed, :func:`merge` applies it
without ever moving the status back.
"""

from __future__ import annotations

import hashlib
import json

from django.utils import timezone

from incidents.models import Incident, TimelineEntry

# How far along each status is: a re-import never moves an incident back.
STATUS_RANK = {"triggered": 0, "acknowledged": 1, "mitigated": 2, "resolved": 3}
# The times a re-import may set, with the person Rota recorded for each.
LIFECYCLE = {"acknowledged_at": "acknowledged_by", "resolved_at": "resolved_by"}
LIFECYCLE_BY = ("acknowledged_by", "resolved_by")


def fingerprint(values: dict) -> str:
    """Return the SHA-256 hex digest of an imported row's values (a dict of JSON-able values)."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def merge(incident: Incident, values: dict, digest: str) -> bool:
    """Apply the source's changed ``values`` to an imported ``incident``; True if any changed.

    The status never moves back: when Rota took the incident further (resolved it while the
    source still says new), Rota's status, times and people stay. Otherwise the source's
    status and the times it gives are taken; a time the source does not give keeps Rota's,
    with its person, so status, ``*_at`` and ``*_by`` always agree.
    """
    before = {name: getattr(incident, name) for name in values}
    incident.source_hash = digest
    for name, value in values.items():
        if name != "status" and name not in LIFECYCLE:
            setattr(incident, name, value)
    if STATUS_RANK[values["status"]] >= STATUS_RANK[incident.status]:
        incident.status = values["status"]
        for name, by in LIFECYCLE.items():
            if values[name] is not None:
                if getattr(incident, name) is None:
                    setattr(incident, by, None)
                setattr(incident, name, values[name])
    return any(getattr(incident, name) != value for name, value in before.items())


def create_imported(
    new: list[Incident], source: str, kind_label: str, numbers: dict[str, str]
) -> None:
    """Insert ``new`` with a timeline entry each: "Imported from Opsgenie (alert 2007) on ...",
    naming each by ``numbers[source_id]`` (its tinyId, incident number or id)."""
    Incident.objects.bulk_create(new)
    name = Incident.Source(source).label
    unit = kind_label.removeprefix(name).strip()
    now = timezone.now()
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            kind=TimelineEntry.Kind.NOTE,
            at=now,
            text=f"Imported from {name} ({unit} {numbers.get(incident.source_id)}) "
            f"on {now:%Y-%m-%d}.",
            data={"imported": source},
        )
        for incident in new
    )
