"""Portal pages shared by all apps: the home page, teams and the component catalog."""

from django.http import HttpResponse

from .catalog import component_catalog, component_detail
from .now import home
from .teams import team_detail

__all__ = ["component_catalog", "component_detail", "healthz", "home", "team_detail"]


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
