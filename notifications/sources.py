"""Notices about what the apps above own (bugs, support load), plugged in at start-up.

The notifications app sits below incidents and reports and imports neither (``make lint``
checks it). Those apps register here from their ``AppConfig.ready()``:

- :func:`register_plans`: ``finder(*, now) -> list[Plan]``, run by a scan: ``"scan"`` (the
  regular scan, every few minutes) or ``"capacity"`` (the buffer-alert scan).
- :func:`register_content`: ``builder(delivery, audience, now) -> Content`` for a
  ``Delivery.Kind``; it raises ``NoLongerApplies`` when the notice is stale.
- :func:`register_open_incidents`: ``finder(*, rotation) -> incidents`` that handoff
  messages list.
- :func:`register_team_channels`: ``channels(team_ids) -> dict[team id, TeamChannel]``, where a
  kind's team messages go instead of the team's chat webhook.

Registering the same function again is harmless (tests reload apps).
"""

from collections.abc import Callable

SCANS = ("scan", "capacity")

_plans: dict[str, list[Callable]] = {scan: [] for scan in SCANS}
_content: dict[str, Callable] = {}
_team_channels: dict[str, Callable] = {}
_open_incidents: list[Callable] = []


def register_plans(scan: str, finder: Callable) -> None:
    """Have ``scan`` ("scan" or "capacity") also deliver what ``finder(now=...)`` returns.

    Raises ValueError for another scan name.
    """
    if scan not in _plans:
        raise ValueError(f"Unknown scan {scan!r}; one of {', '.join(SCANS)}.")
    if finder not in _plans[scan]:
        _plans[scan].append(finder)


def register_content(kind: str, builder: Callable) -> None:
    """Compose the deliveries of ``kind`` (a ``Delivery.Kind`` value) with ``builder``."""
    _content[kind] = builder


def register_team_channels(kind: str, channels: Callable) -> None:
    """Find the chat channel of a team's ``kind`` messages with ``channels(team_ids)``."""
    _team_channels[kind] = channels


def register_open_incidents(finder: Callable) -> None:
    """List ``finder(rotation=...)``'s incidents in handoff messages (one finder; the last wins)."""
    _open_incidents[:] = [finder]


def open_incidents_finder() -> Callable | None:
    """Return the registered open-incidents finder, or None."""
    return _open_incidents[0] if _open_incidents else None


def plans_for(scan: str, *, now) -> list:
    """Return every registered finder's plans for ``scan``, in registration order."""
    plans = []
    for finder in _plans[scan]:
        plans += finder(now=now)
    return plans


def content_builders() -> dict[str, Callable]:
    """Return the registered content builders by kind (a copy)."""
    return dict(_content)


def team_channels_for(kind: str) -> Callable | None:
    """Return the registered channel finder for ``kind``'s team messages, or None."""
    return _team_channels.get(kind)
