"""What a catalog import reports: the changes it makes, or every problem that stops it."""

import re
from dataclasses import dataclass, field

from core.exceptions import DomainError


class CatalogImportError(DomainError):
    """The file cannot be imported (400); ``errors`` lists every problem found, one a line."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class ReportEntry:
    action: str  # created, changed, unchanged or skipped
    kind: str
    name: str
    details: list = field(default_factory=list)

    def __str__(self):
        text = f"{self.action} {self.kind} {self.name}"
        return f"{text}: {'; '.join(self.details)}" if self.details else text


@dataclass
class ImportReport:
    entries: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    dry_run: bool = False

    def add(self, action, kind, name, details=()):
        self.entries.append(ReportEntry(action, kind, name, list(details)))

    def count(self, action) -> int:
        return sum(1 for entry in self.entries if entry.action == action)

    @property
    def summary(self) -> str:
        text = ", ".join(f"{a} {self.count(a)}" for a in ("created", "changed", "skipped"))
        return f"{text} ({self.count('unchanged')} unchanged)"

    def lines(self) -> list:
        """Render the report as lines a person reads: what happened, then the totals."""
        lines = [str(e) for e in self.entries if e.action != "unchanged"]
        lines += [f"warning: {w}" for w in self.warnings]
        if not self.count("created") and not self.count("changed"):
            lines.append("Nothing to change: the catalog already matches the file.")
        if self.dry_run:
            lines.append("Dry run: nothing was saved.")
        lines.append(self.summary)
        return lines


def by_line(errors) -> list:
    """Order messages that start with "line N" by N, keeping the order of equal lines."""

    def line(message):
        match = re.match(r"line (\d+)", message)
        return int(match.group(1)) if match else 0

    return sorted(errors, key=line)
