"""Answers the bottom layer needs from the apps above it, without importing them.

``core`` imports no app (``make lint`` checks it). Where a shared helper needs an app's data
(which teams a person manages, which time zone they read in), the function that knows is
named by dotted path in a setting, and ``portal.settings`` (the top layer) wires them:

- ``ROTA_MANAGED_TEAM_IDS``: ``(user) -> set[int]``, the ids of the teams a user manages.
- ``ROTA_VIEWER_ZONE_NAME``: ``(user) -> str``, the IANA zone a person reads times in.
"""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from core import caches


def provider(setting: str):
    """Return the callable named by the dotted path in ``settings.<setting>`` (each path is
    imported once).

    Raises ImproperlyConfigured when the setting is missing or names nothing importable.
    """
    path = getattr(settings, setting, None)
    if not path:
        raise ImproperlyConfigured(f"{setting} must name a function (a dotted path).")
    try:
        return _imported(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting} = {path!r} cannot be imported: {exc}") from exc


@cache
def _imported(path: str):
    return import_string(path)


caches.register("core.providers.imported", _imported.cache_clear)
