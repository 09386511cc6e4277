"""What the import commands share: the progress bar (tqdm), reading the file, the report.

Importers report progress as ``progress(done, total)`` (:class:`importers.base.Progress`); this
turns it into one bar, drawn only when standard error is a terminal, so logs and pipes stay
clean.
"""

from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm


class ProgressBar:
    """A ``Progress`` callable drawing a tqdm bar labelled ``description``, counting ``unit``.

    Close it (or use it as a context manager) so the bar ends however the import ends.
    """

    def __init__(self, description: str, *, unit: str = "item", file=None):
        self.description = description
        self.unit = unit
        self.file = file
        self.bar = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = tqdm(
                total=total,
                desc=self.description,
                unit=f" {self.unit}",
                file=self.file,
                disable=None,
            )
        if total is not None and self.bar.total != total:
            self.bar.total = total
            self.bar.refresh()
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        """End the bar, keeping its last line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


def read_file(path) -> bytes:
    """Return the bytes of the file at ``path``; CommandError naming it when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None


def write_report(stdout, report, *, verbosity: int) -> None:
    """Write an import report: the dry-run notice, the summary, and at verbosity 2 the details."""
    if report.dry_run:
        stdout.write("Dry run: nothing was written.")
    for line in report.summary_lines():
        stdout.write(line)
    if verbosity >= 2:
        for line in report.details:
            stdout.write(f"  {line}")
