"""The component catalog and each component's page."""

from django.shortcuts import get_object_or_404, render

from core.pages import page
from incidents import selectors as incidents
from ownership import selectors
from ownership.models import Component
from rota.routing_cache import responders_now

COMPONENT_INCIDENTS = 15


@page
def component_catalog(request):
    """Show the whole catalog as a tree of areas and their components."""
    components = list(selectors.component_list().order_by("name"))
    children = {}
    for component in components:
        children.setdefault(component.parent_id, []).append(component)

    def walk(parent_id, depth):
        for component in children.get(parent_id, []):
            yield component, depth
            yield from walk(component.pk, depth + 1)

    return render(request, "portal/catalog.html", {"rows": list(walk(None, 0))})


def _ancestors(component: Component) -> list[Component]:
    parents = dict(Component.objects.values_list("id", "parent_id"))
    chain, node = [], component.parent_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    found = Component.objects.in_bulk(chain)
    return [found[pk] for pk in reversed(chain) if pk in found]


@page
def component_detail(request, slug):
    """Show a component: owner, links, who responds now, ownership history and incidents."""
    component = get_object_or_404(selectors.component_list(), slug=slug)
    recent = list(
        incidents.incident_list()
        .filter(component=component)
        .order_by("-created_at")[: COMPONENT_INCIDENTS + 1]
    )
    return render(
        request,
        "portal/component.html",
        {
            "component": component,
            "responders": responders_now(component=component),
            "history": selectors.component_history(component=component),
            "children": selectors.component_list().filter(parent=component).order_by("name"),
            "ancestors": _ancestors(component),
            "incidents": recent[:COMPONENT_INCIDENTS],
            "more_incidents": len(recent) > COMPONENT_INCIDENTS,
        },
    )
