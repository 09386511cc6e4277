"""Helpers shared by the incidents services."""

from ..models import Incident, TimelineEntry


def timeline_add(
    *, incident: Incident, kind: str, text: str, by=None, at=None, data=None
) -> TimelineEntry:
    """Add an entry to an incident's timeline (callers hold the transaction)."""
    entry = TimelineEntry(incident=incident, kind=kind, text=text, author=by, data=data or {})
    if at is not None:
        entry.at = at
    entry.full_clean(exclude=["incident", "author"])
    entry.save()
    return entry


def who(user) -> str:
    return user.get_username() if user is not None else "nobody"
