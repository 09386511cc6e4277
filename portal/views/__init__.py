"""Portal pages shared by all apps: home and component lookup, teams, the catalog."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from ownership import selectors
from ownership.models import Component


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    """Look up a component by name or a code path, and list the teams."""
    query = request.GET.get("q", "").strip()
    results, path_match = [], None
    if query:
        if "/" in query or "." in query:
            path_match = selectors.ownership_for_path(path=query)
        results = list(
            selectors.component_list()
            .filter(Q(name__icontains=query) | Q(slug__icontains=query))
            .order_by("name")[:25]
        )
    teams = selectors.team_list().order_by("name")
    return render(
        request,
        "portal/home.html",
        {"query": query, "results": results, "path_match": path_match, "teams": teams},
    )


@login_required
def team_detail(request, slug):
    team = get_object_or_404(selectors.team_list(), slug=slug)
    components = selectors.components_owned_by(team=team).order_by("name")
    return render(request, "portal/team.html", {"team": team, "components": components})


@login_required
def component_catalog(request):
    """The whole catalog as a tree of areas and their components."""
    components = list(selectors.component_list().order_by("name"))
    children = {}
    for component in components:
        children.setdefault(component.parent_id, []).append(component)

    def walk(parent_id, depth):
        for component in children.get(parent_id, []):
            yield component, depth
            yield from walk(component.pk, depth + 1)

    return render(request, "portal/catalog.html", {"rows": list(walk(None, 0))})


@login_required
def component_detail(request, slug):
    component = get_object_or_404(selectors.component_list(), slug=slug)
    history = selectors.component_history(component=component)
    children = selectors.component_list().filter(parent=component).order_by("name")
    parents = dict(Component.objects.values_list("id", "parent_id"))
    chain, node = [], component.parent_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    found = Component.objects.in_bulk(chain)
    ancestors = [found[pk] for pk in reversed(chain) if pk in found]
    return render(
        request,
        "portal/component.html",
        {
            "component": component,
            "history": history,
            "children": children,
            "ancestors": ancestors,
        },
    )
