"""The progress bar every import command shows on standard error (tqdm).

Importers report progress as ``progress(done, total)`` (:class:`importers.base.Progress`); this
turns it into one bar, drawn only when standard error is a terminal, so logs and pipes stay
clean.
"""

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
