"""The importers Rota knows, by name: the command line and the admin page list them from here."""

from __future__ import annotations

import dataclasses

from importers.base import Importer


@dataclasses.dataclass(frozen=True)
class ImporterInfo:
    """``name`` is the command-line format name (``pagerduty-incidents``); ``label`` is shown in the
    admin; ``kind`` groups them (``schedule``, ``history``, ``config``);
    ``file_hint`` says what file to give (``"PagerDuty incidents CSV export"``);
    ``mapping_hint`` what its mapping file maps (``"{schedule name or id: team slug}"``),
    ``"takes no mapping"``, or ``""`` for the history importers' ``{source service name:
    component slug}``."""

    name: str
    label: str
    kind: str
    file_hint: str
    run: Importer
    mapping_hint: str = ""


IMPORTERS: dict[str, ImporterInfo] = {}


def register(name: str, *, label: str, kind: str, file_hint: str, mapping_hint: str = ""):
    """Decorator registering an importer function under ``name``."""

    def wrap(fn: Importer) -> Importer:
        if name in IMPORTERS:
            raise ValueError(f"importer {name!r} registered twice")
        IMPORTERS[name] = ImporterInfo(name, label, kind, file_hint, fn, mapping_hint)
        return fn

    return wrap


def get(name: str) -> ImporterInfo:
    """The importer called ``name``; ``KeyError`` names the known ones."""
    try:
        return IMPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS)) or "none"
        raise KeyError(f"no importer called {name!r} (known: {known})") from None
