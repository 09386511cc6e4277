"""What every importer shares: a report of what it did or would do, a dry run, progress.

An importer is a function ``run(data: bytes, *, options: dict, report: ImportReport,
progress: Progress) -> None`` that reads one file (the JSON or CSV the source tool exports, or a
Rota YAML document), writes rows through Rota's services and records in ``report`` what it
created, updated or left unchanged and what it could not map (naming the source line or object).
``execute`` runs it in one transaction and, for a dry run, rolls everything back, so a dry run
reports exactly what the real run would do. Importers are idempotent: every imported row keeps
the source's identifier, and a second run finds it and changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import Protocol

from django.db import transaction

EXCERPT_CHARS = 80


def excerpt(text, limit: int = EXCERPT_CHARS) -> str:
    """Return ``text`` (any value) cut to ``limit`` characters with "…", for error messages."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class ImportRefused(Exception):
    """The whole file cannot be imported (unreadable, wrong format); ``where`` names the place."""

    def __init__(self, message: str, *, where: str = ""):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


@dataclasses.dataclass(frozen=True)
class Problem:
    """One source object that was not imported, or imported with a loss.

    ``where`` names it in the source's own terms (``line 14``, ``schedule "Platform" layer 2``);
    ``message`` says why, in words a user can act on.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclasses.dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do).

    ``created``, ``updated``, ``unchanged`` and ``deleted`` count rows by kind (``"incident"``,
    ``"rotation"``, ...); ``details`` lists one line per created, updated or deleted object, for
    the dry-run listing;
    ``problems`` lists what could not be mapped and why; ``warnings`` what was imported but
    deserves a look (another rotation that answers first, a difference from the source's own
    rendering), each a ``Problem`` too.
    """

    source: str
    dry_run: bool = False
    created: Counter = dataclasses.field(default_factory=Counter)
    updated: Counter = dataclasses.field(default_factory=Counter)
    unchanged: Counter = dataclasses.field(default_factory=Counter)
    deleted: Counter = dataclasses.field(default_factory=Counter)
    details: list[str] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    # kind -> its plural in the summary ("component": "components"); a kind not here is
    # written as it is.
    plurals: dict[str, str] = dataclasses.field(default_factory=dict)

    def create(self, kind: str, label: str) -> None:
        self.created[kind] += 1
        self.details.append(f"create {kind} {label}")

    def update(self, kind: str, label: str) -> None:
        self.updated[kind] += 1
        self.details.append(f"update {kind} {label}")

    def delete(self, kind: str, label: str) -> None:
        self.deleted[kind] += 1
        self.details.append(f"delete {kind} {label}")

    def keep(self, kind: str) -> None:
        self.unchanged[kind] += 1

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warn(self, where: str, message: str) -> None:
        """Record something imported that may not behave as in the source (not a loss)."""
        self.warnings.append(Problem(where, message))

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values()) or sum(self.updated.values()) or sum(self.deleted.values())
        )

    def as_dict(self) -> dict:
        """JSON-ready shape: ``{"source", "dry_run", "created": {kind: n}, "updated": {...},
        "unchanged": {...}, "deleted": {...}, "details": [str],
        "problems": [{"where", "message"}], "warnings": [{"where", "message"}]}``."""
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "deleted": dict(self.deleted),
            "details": list(self.details),
            "problems": [dataclasses.asdict(p) for p in self.problems],
            "warnings": [dataclasses.asdict(p) for p in self.warnings],
        }

    def summary_lines(self) -> list[str]:
        """Plain-text lines for the command line and the admin progress page."""
        verb = "would create" if self.dry_run else "created"
        lines = []
        for label, counter in (
            (verb, self.created),
            ("would update" if self.dry_run else "updated", self.updated),
            ("unchanged", self.unchanged),
            ("would delete" if self.dry_run else "deleted", self.deleted),
        ):
            if counter:
                parts = ", ".join(
                    f"{n} {kind if n == 1 else self.plurals.get(kind, kind)}"
                    for kind, n in sorted(counter.items())
                )
                lines.append(f"{label}: {parts}")
        if not lines:
            lines.append("nothing to import")
        for p in self.problems:
            lines.append(f"not imported: {p}")
        for p in self.warnings:
            lines.append(f"warning: {p}")
        return lines


class Progress(Protocol):
    """Called as ``progress(done, total)``; ``total`` is None while unknown."""

    def __call__(self, done: int, total: int | None) -> None: ...


def no_progress(done: int, total: int | None) -> None:
    return None


class _DryRunRollback(Exception):
    pass


Importer = Callable[..., None]


def execute(
    importer: Importer,
    data: bytes,
    *,
    source: str,
    options: dict | None = None,
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> ImportReport:
    """Run ``importer`` over ``data`` in one transaction; roll it back for a dry run.

    Returns the ``ImportReport``. Raises ``ImportRefused`` when the file as a whole cannot be
    read; nothing is written then.
    """
    report = ImportReport(source=source, dry_run=dry_run)
    try:
        with transaction.atomic():
            importer(data, options=options or {}, report=report, progress=progress)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report
