"""Portal pages shared by all apps."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    return HttpResponse("Rota")


@login_required
def team_detail(request, slug):
    return HttpResponse(slug)


@login_required
def component_catalog(request):
    return HttpResponse("catalog")


@login_required
def component_detail(request, slug):
    return HttpResponse(slug)
