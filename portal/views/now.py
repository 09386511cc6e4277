"""The home page: who is on call and on support now, and who owns a component or code path."""

import datetime
import threading
from dataclasses import dataclass, field

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from core.pages import page
from ownership import selectors as ownership
from ownership.models import Team
from rota.models import SupportPolicy
from rota.routing import Responders, responders_now, responders_now_for_teams, versions

# Answers are cached per process until the first shift among them ends, a minute at most:
# someone may start a shift in what is a gap now, and nobody's end tells when.
BOARD_MAX_AGE = datetime.timedelta(minutes=1)
# Search results show who is on call for this many components; the rest link to their pages.
RESPONDER_LOOKUPS = 5


@dataclass
class PolicyNow:
    policy: SupportPolicy
    components: list
    responders: Responders | None = None  # the responding team's people (dedicated, rotating)
    first_line: Responders | None = None


@dataclass
class Board:
    teams: list[tuple[Team, Responders]] = field(default_factory=list)
    policies: list[PolicyNow] = field(default_factory=list)
    valid_until: datetime.datetime | None = None


def _ends(responders: Responders | None):
    if responders is None:
        return
    for oncall in (responders.primary, responders.secondary, responders.first_line):
        if oncall is not None:
            yield oncall.shift_end


def _build_board(now) -> Board:
    """Ask routing about every team and every support policy (cached answers where fresh)."""
    board = Board()
    teams = list(Team.objects.order_by("name"))
    answers = responders_now_for_teams(teams=teams)
    board.teams = [(team, answers[team.pk]) for team in teams]
    policies = SupportPolicy.objects.select_related(
        "team_rotation", "dedicated_team", "first_line_rotation"
    ).prefetch_related("components")
    for policy in policies.order_by("name"):
        row = PolicyNow(policy=policy, components=sorted(policy.components.all(), key=str))
        if policy.model == SupportPolicy.Model.ROTATING and policy.team_rotation_id:
            row.responders = responders_now(rotation=policy.team_rotation)
        elif policy.model == SupportPolicy.Model.DEDICATED and policy.dedicated_team_id:
            row.responders = responders_now(team=policy.dedicated_team)
        if policy.first_line_rotation_id:
            row.first_line = responders_now(rotation=policy.first_line_rotation)
        board.policies.append(row)
    ends = [end for _, r in board.teams for end in _ends(r)]
    for row in board.policies:
        ends += [*_ends(row.responders), *_ends(row.first_line)]
    board.valid_until = min([now + BOARD_MAX_AGE, *ends])
    return board


class BoardCache:
    """Keep the last board for this process while the rota and catalog are unchanged."""

    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        self._entry = None

    def get(self) -> Board:
        now = timezone.now()
        current = versions()
        entry = self._entry
        if entry is not None and entry[0] == current and now < entry[1].valid_until:
            return entry[1]
        with self._lock:
            board = _build_board(now)
            self._entry = (current, board)
        return board


board_cache = BoardCache()


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
    board = board_cache.get()
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
