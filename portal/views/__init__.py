"""Portal pages shared by all apps: the home page, teams and the component catalog."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from portal.health import health

from .catalog import component_catalog, component_detail
from .now import home
from .teams import team_detail

__all__ = ["component_catalog", "component_detail", "healthz", "home", "team_detail"]


@never_cache
def healthz(request):
    """Answer 200 when the database and cache work, else 503; the body names each check.

    Body: ``{"status": "ok"|"fail", "checks": {"database": "ok"|"error: ...", ...}}``.
    """
    healthy, checks = health()
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )
