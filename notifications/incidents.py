"""The hook through which handoff messages list a rotation's open incidents.

The incidents app sits above this one and registers ``open_incidents_for_rotation(*,
rotation)`` with :func:`notifications.sources.register_open_incidents` (incidents with
``title`` and, where they have them, ``severity``, ``status`` and ``get_absolute_url()``);
without it, handoff messages say that no incidents are open.
"""

import logging

from django.conf import settings

from .sources import open_incidents_finder

logger = logging.getLogger(__name__)


def open_incidents_for_rotation(rotation) -> list:
    """Return the rotation's open incidents, or an empty list while the incidents app has none."""
    finder = open_incidents_finder()
    if finder is None:
        return []
    try:
        return list(finder(rotation=rotation))
    except Exception:
        # A handoff without its incident list is better than no handoff at all.
        logger.exception("Could not list the open incidents of rotation %s", rotation.pk)
        return []


def describe_incident(incident) -> str:
    """Return one line about an incident: severity, title, status and link where known."""
    parts = [str(getattr(incident, "severity", "") or "").strip()]
    parts.append(str(getattr(incident, "title", incident)))
    status = getattr(incident, "status", "")
    if status:
        parts.append(f"({status})")
    url = incident.get_absolute_url() if hasattr(incident, "get_absolute_url") else ""
    if url:
        parts.append(f"{settings.SITE_URL}{url}" if url.startswith("/") else url)
    return " ".join(part for part in parts if part)
