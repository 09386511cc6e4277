"""Seed the demo once for many tests, while each test still starts from the data as seeded.

Seeding the demo organisation takes seconds; doing it once per module instead of once per
test halves the suite. Two ways, for the two kinds of database test:

- ``rolled_back_seed``: for ordinary (``db``) tests. The data is seeded inside a transaction
  held open for the module and rolled back at its end; pytest-django runs each test in a
  savepoint of it, rolled back after the test, so what one test changes the next never sees.
- ``SeededDatabase``: for live-server tests, whose server reads the data on a connection of
  its own, so it must be committed. The data is seeded once and committed; before each later
  test the database is put back as seeded (on SQLite from a copy taken after seeding, elsewhere
  by emptying it and seeding again), and it is emptied at the end.
"""

import contextlib
import sqlite3
from collections.abc import Callable, Iterator

from django.core.management import call_command
from django.db import connection, transaction


@contextlib.contextmanager
def rolled_back_seed(django_db_blocker, seed: Callable[[], object]) -> Iterator[object]:
    """Yield what ``seed()`` returns; its rows live in a transaction rolled back at exit.

    Tests that use it must use the ``db`` fixture too (each then runs in a savepoint) and not
    ``transactional_db``, whose flush would empty the shared data.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seeded = seed()
        except BaseException as exc:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
    try:
        yield seeded
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def flush_database():
    """Empty every table as ``transactional_db`` does after a test (content types come back)."""
    call_command("flush", verbosity=0, interactive=False, allow_cascade=False)


class SeededDatabase:
    """The committed result of ``seed()``, given back as seeded to each test that asks.

    ``fresh()`` returns what ``seed()`` returned; it seeds the first time, and afterwards puts
    the database back as it was just after seeding. ``close()`` empties the database.
    """

    def __init__(self, seed: Callable[[], object]):
        self._seed = seed
        self._seeded = None
        self._copy: sqlite3.Connection | None = None

    def fresh(self):
        if self._seeded is None:
            self._seeded = self._seed()
            if connection.vendor == "sqlite":
                self._copy = sqlite3.connect(":memory:")
                self._raw().backup(self._copy)
        elif self._copy is not None:
            # The whole file, page by page: milliseconds, where seeding again takes seconds.
            self._copy.backup(self._raw())
        else:
            flush_database()
            self._seeded = self._seed()
        return self._seeded

    def close(self):
        if self._copy is not None:
            self._copy.close()
        if self._seeded is not None:
            flush_database()
        self._seeded = self._copy = None

    @staticmethod
    def _raw() -> sqlite3.Connection:
        connection.ensure_connection()
        return connection.connection
