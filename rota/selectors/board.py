"""The Now board: who is on call for every team and every support policy, cached per process."""

import datetime
import threading
from dataclasses import dataclass, field

from django.utils import timezone

from core import caches
from ownership.models import Team

from ..models import SupportPolicy
from ..routing import Responders
from ..routing_cache import responders_now_for_rotations, responders_now_for_teams, versions

# Answers are cached per process until the first shift among them ends, a minute at most:
# someone may start a shift in what is a gap now, and nobody's end tells when.
BOARD_MAX_AGE = datetime.timedelta(minutes=1)


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
    """Ask routing about every team and every support policy, in batches (cached where fresh).

    The number of queries does not grow with the number of teams or policies.
    """
    board = Board()
    teams = list(Team.objects.order_by("name"))
    answers = responders_now_for_teams(teams=teams)
    board.teams = [(team, answers[team.pk]) for team in teams]
    policies = list(
        SupportPolicy.objects.select_related(
            "dedicated_team",
            "team_rotation__team",
            "team_rotation__follows_team_rotation",
            "first_line_rotation__team",
            "first_line_rotation__follows_team_rotation",
        )
        .prefetch_related("components")
        .order_by("name")
    )
    rotations = [
        rotation
        for policy in policies
        for rotation in (policy.team_rotation, policy.first_line_rotation)
        if rotation is not None
    ]
    on_duty = responders_now_for_rotations(rotations=rotations)
    for policy in policies:
        row = PolicyNow(policy=policy, components=sorted(policy.components.all(), key=str))
        if policy.model == SupportPolicy.Model.ROTATING and policy.team_rotation_id:
            row.responders = on_duty[policy.team_rotation_id]
        elif policy.model == SupportPolicy.Model.DEDICATED and policy.dedicated_team_id:
            # Every team is on the board: the dedicated team's answer is already there.
            row.responders = answers[policy.dedicated_team_id]
        if policy.first_line_rotation_id:
            row.first_line = on_duty[policy.first_line_rotation_id]
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
caches.register("rota.board", board_cache.clear)


def now_board() -> Board:
    """Return the Now board: every team's and every support policy's responders now.

    Cached for this process until the first shift on it ends (a minute at most) or the rota
    or catalog changes.
    """
    return board_cache.get()
