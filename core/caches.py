"""The process-local caches, registered by name so that all of them can be emptied at once.

Every cache a module keeps in memory for the life of the process (answers, rendered JSON,
compiled globs, memoised time-zone arithmetic) registers the function that empties it here,
at import time. ``clear_all()`` empties every one: tests call it around each test, since ids
and slugs repeat from one test to the next while the process lives on.
"""

from collections.abc import Callable

_clearers: dict[str, Callable[[], None]] = {}
# How many version tags this process has replaced (see ``local_change``).
_local_changes = [0]


def register(name: str, clear: Callable[[], None]) -> Callable[[], None]:
    """Register ``clear`` (no arguments, empties the cache) under ``name``; return it.

    Raises ValueError when another cache already holds the name.
    """
    known = _clearers.get(name)
    if known is not None and known != clear:
        raise ValueError(f"A process cache is already registered as {name!r}.")
    _clearers[name] = clear
    return clear


def names() -> list[str]:
    """Return the registered cache names, sorted."""
    return sorted(_clearers)


def clearers() -> dict[str, Callable[[], None]]:
    """Return a copy of the name → clear function registry."""
    return dict(_clearers)


def clear_all() -> None:
    """Empty every registered process cache."""
    for clear in list(_clearers.values()):
        clear()


def local_change() -> None:
    """Note that this process replaced a version tag (``core.services.version_touch``).

    Caches that compare version tags only once in a while (``portal.hotpath``) compare this
    counter on every call instead, so that a process sees its own writes at once.
    """
    _local_changes[0] += 1


def local_changes() -> int:
    """Return how many times ``local_change`` was called in this process."""
    return _local_changes[0]
