"""Telling the schedule importers' JSON apart, so that each refuses the others' files.

PagerDuty, Opsgenie and Grafana OnCall all export ``users`` and ``schedules``; what tells them
apart is the rest: PagerDuty's schedules have ``schedule_layers`` and its policies
``escalation_rules``; Opsgenie's schedules ``rotations`` or an ``ownerTeam``, its bundles
``escalations`` and its raw responses ``data``; Grafana OnCall's bundles ``on_call_shifts`` and
``escalation_chains``. This module registers no importer.
"""

from __future__ import annotations

from importers.base import ImportRefused

LABELS = {
    "pagerduty": "PagerDuty's API JSON",
    "opsgenie": "Opsgenie's API JSON",
    "grafana": "a Grafana OnCall bundle",
}


def _objects(value) -> list[dict]:
    """The objects of a section: a list, one object, or pages ``{"results": [...]}``."""
    if isinstance(value, dict):
        value = value["results"] if isinstance(value.get("results"), list) else [value]
    if not isinstance(value, list):
        return []
    flat = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("results"), list):
            flat += [i for i in item["results"] if isinstance(i, dict)]
        elif isinstance(item, dict):
            flat.append(item)
    return flat


def _any_has(value, *keys: str) -> bool:
    return any(key in item for item in _objects(value) for key in keys)


def formats_of(doc) -> set[str]:
    """Return the formats (``pagerduty``, ``opsgenie``, ``grafana``) whose marks ``doc`` has.

    ``doc`` is parsed JSON: one document or a list of them.
    """
    found = set()
    for part in doc if isinstance(doc, list) else [doc]:
        if not isinstance(part, dict):
            continue
        if (
            {"schedule", "escalation_policy"} & set(part)
            or _any_has(part.get("schedules"), "schedule_layers")
            or _any_has(part.get("escalation_policies"), "escalation_rules")
        ):
            found.add("pagerduty")
        if (
            "escalations" in part
            or "data" in part
            or _any_has(part.get("schedules"), "rotations", "ownerTeam")
        ):
            found.add("opsgenie")
        if {"on_call_shifts", "escalation_chains"} & set(part):
            found.add("grafana")
    return found


def refuse_foreign(doc, own: str) -> None:
    """Raise ``ImportRefused`` when ``doc`` carries another format's marks than ``own``'s.

    The message names the format the file looks like, so the user picks that importer.
    """
    others = sorted(formats_of(doc) - {own})
    if others:
        raise ImportRefused(
            f"this is not {LABELS[own]}: it looks like {' and '.join(LABELS[o] for o in others)}"
            "; import it with that importer"
        )


def foreign_hint(doc, own: str) -> str:
    """``" (it looks like …)"`` naming the other formats ``doc`` has the marks of, or ``""``."""
    others = sorted(formats_of(doc) - {own})
    return f" (it looks like {' and '.join(LABELS[o] for o in others)})" if others else ""


def refuse_unknown_options(options: dict, known: tuple[str, ...]) -> None:
    """Raise ``ImportRefused`` naming an option (or a non-empty mapping) the importer ignores.

    ``options`` as the command line and the admin form give them (``mapping`` always there,
    ``{}`` when none was given); ``known`` the importer's own option names.
    """
    unknown = sorted(
        key
        for key, value in options.items()
        if key not in known and not (key == "mapping" and not value)
    )
    if unknown:
        raise ImportRefused(
            f"this importer takes no {', '.join(f'{k}=' for k in unknown)}"
            f" (it takes {', '.join(f'{k}=' for k in known if k != 'now') or 'no options'})",
            where="options",
        )
