"""The home page: who is on call and on support now, and who owns a component or code path."""

from django.db.models import Q
from django.shortcuts import render

from core.pages import page
from ownership import selectors as ownership
from rota.routing_cache import responders_now
from rota.selectors.board import now_board

# Search results show who is on call for this many components; the rest link to their pages.
RESPONDER_LOOKUPS = 5


def _search(query: str):
    """Return the path match, the matching components and who responds for the first few.

    Components match by name or slug, then by their globs covering the query as a word or
    fragment of a path (``ownership.selectors.components_for_path_fragment``).
    """
    path_match = None
    if "/" in query or "." in query:
        path_match = ownership.ownership_for_path(path=query)
    results = list(
        ownership.component_list()
        .filter(Q(name__icontains=query) | Q(slug__icontains=query))
        .order_by("name")[:25]
    )
    # Then those whose code paths cover the word or path fragment ("invoices", "billing/api").
    named = {c.pk for c in results}
    results += [
        c for c in ownership.components_for_path_fragment(fragment=query) if c.pk not in named
    ][: max(0, 25 - len(results))]
    lookups = []
    if path_match is not None:
        lookups.append(path_match.component)
    lookups += [c for c in results if path_match is None or c.pk != path_match.component.pk]
    found = [
        (component, responders_now(component=component))
        for component in lookups[:RESPONDER_LOOKUPS]
    ]
    return path_match, results, found


@page
def home(request):
    """Show who is on call now, and look up a component by name or code path."""
    query = request.GET.get("q", "").strip()[:200]
    path_match, results, found = (None, [], [])
    if query:
        path_match, results, found = _search(query)
    board = now_board()
    return render(
        request,
        "portal/home.html",
        {
            "query": query,
            "results": results,
            "path_match": path_match,
            "found": found,
            "more_results": max(0, len(results) - len(found)),
            "board": board,
        },
    )
