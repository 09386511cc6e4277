"""The hook through which handoff messages list a rotation's open incidents.

The incidents app is built separately. Once ``incidents.selectors`` offers
``open_incidents_for_rotation(*, rotation)`` (returning incidents with ``title`` and, where
they have them, ``severity``, ``status`` and ``get_absolute_url()``), handoff messages list
them; until then they say that no incidents are open.
"""

import importlib
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def open_incidents_for_rotation(rotation) -> list:
    """Return the rotation's open incidents, or an empty list while the incidents app has none."""
    try:
        selectors = importlib.import_module("incidents.selectors")
    except ImportError:
        return []
    finder = getattr(selectors, "open_incidents_for_rotation", None)
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
