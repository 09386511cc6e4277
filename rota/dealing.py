"""Deal slots to participants: round robin, skipping the unavailable, optionally fair on weekends.

Pure code (no queries) so that generation can plan two years of a rotation in memory and write
it in a few bulk statements.

* **Turn order.** Each pool (the participants of a rotation, or the members of one team) keeps a
  pointer to whose turn is next. After a slot is dealt the pointer moves past the chosen
  participant, so someone skipped for leave loses that turn and nobody gets two in a row.
* **Leave.** A participant away for the *whole* slot (every local day it touches but the
  handoff day it ends on, see :func:`turn_core`) is skipped: the next available one takes
  it out of turn and skips their own next turn, which goes to the one who was away, so the two
  turns are swapped and every later turn stays where it was. Someone away for only part of a
  slot keeps it (generation then covers the days away, see :mod:`rota.services.leave`). Other
  blocks (a primary's people, for a following secondary) skip for any overlap. If all are
  unavailable, the one whose turn it is gets the slot anyway and it is reported as a conflict.
* **No three in a row.** ``avoid`` names participants who would get a third turn in a row
  (counting kept shifts around the slot); they are passed over while anyone else is available.
* **Weekend balance** (``balance_weekends``): a slot covering the noon of a Saturday, Sunday or
  public holiday (local to the rotation) goes to the available participant with the fewest such
  days so far over the horizon, ties broken by turn order. Someone who takes such a slot out of
  turn skips their next regular turn, so the total number of shifts stays round robin.
"""

import bisect
import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.timeutil import ONE_DAY, local_at, local_date, start_of_day

Key = tuple[str, int]  # ("team", id) or ("user", id)
NOON = datetime.time(12, 0)


class Pool:
    """Participants of one turn order and the pointer to whose turn is next."""

    def __init__(self, keys: Iterable[Key]):
        self.keys = list(keys)
        self.pointer = 0
        self.credits: Counter = Counter()  # turns taken early, skipped when they come round

    def __bool__(self):
        return bool(self.keys)

    def __contains__(self, key):
        return key in self.keys

    def move_past(self, key: Key) -> None:
        """Make the participant after ``key`` the next in turn."""
        if key in self.keys:
            self.pointer = (self.keys.index(key) + 1) % len(self.keys)

    def point_at(self, key: Key) -> None:
        """Make ``key`` the next in turn."""
        self.pointer = self.keys.index(key)

    def take_early(self, key: Key) -> None:
        """Record that ``key`` took a slot out of turn; the pointer stays where it is."""
        self.credits[key] += 1

    def settle(self) -> None:
        """Move the pointer past participants who already took this turn early."""
        if self.keys and all(self.credits[key] > 0 for key in self.keys):
            for key in self.keys:  # everyone took one early: a whole round is done
                self.credits[key] -= 1
        for _ in range(len(self.keys)):
            key = self.keys[self.pointer]
            if self.credits[key] <= 0:
                return
            self.credits[key] -= 1
            self.pointer = (self.pointer + 1) % len(self.keys)

    def in_turn_order(self) -> list[Key]:
        size = len(self.keys)
        return [self.keys[(self.pointer + i) % size] for i in range(size)]


def turn_core(start: datetime.datetime, end: datetime.datetime, tz) -> tuple:
    """Return the part of a turn someone must be away for to be away for the whole turn.

    That is the turn without its last local day when it ends after that day's midnight (the
    handoff day: a week of leave Monday to Sunday is away for a turn from Monday 09:00 to the
    next Monday 09:00). A turn within one day is all core.
    """
    last_midnight = start_of_day(local_date(end - datetime.timedelta(microseconds=1), tz), tz)
    return (start, last_midnight if last_midnight > start else end)


@dataclass
class Blocked:
    """Unavailable intervals per participant, as sorted half-open UTC spans."""

    spans: dict[Key, list[tuple[datetime.datetime, datetime.datetime]]] = field(
        default_factory=dict
    )

    def add(self, key: Key, start, end) -> None:
        bisect.insort(self.spans.setdefault(key, []), (start, end))

    def overlaps(self, key: Key, start, end) -> bool:
        return any(s < end and e > start for s, e in self.spans.get(key, ()))

    def covers(self, key: Key, start, end) -> bool:
        """Tell whether the spans of ``key`` cover all of [start, end)."""
        return not subtract(start, end, self.spans.get(key, ()))


class WeekendWeigher:
    """Count the weekend and holiday days a span covers (days whose local noon it contains)."""

    def __init__(self, tz, holidays: Iterable[datetime.date] = ()):
        self.tz = tz
        self.holidays = set(holidays)

    def __call__(self, start: datetime.datetime, end: datetime.datetime) -> int:
        day = local_date(start, self.tz) - ONE_DAY
        last = local_date(end, self.tz)
        weight = 0
        while day <= last:
            if day.weekday() >= 5 or day in self.holidays:
                noon = local_at(day, NOON, self.tz)
                if start <= noon < end:
                    weight += 1
            day += ONE_DAY
        return weight


class Dealer:
    """Choose who takes each slot, keeping per-participant weekend counts when balancing."""

    def __init__(
        self,
        *,
        blocked: Blocked,
        leave: Blocked | None = None,
        weigher: WeekendWeigher | None = None,
        tz=datetime.UTC,
    ):
        self.blocked = blocked
        self.leave = leave or Blocked()
        self.tz = tz
        self.weigher = weigher
        self.weekend_counts: Counter = Counter()

    def record(self, key: Key | None, start, end) -> None:
        """Count an existing shift towards the weekend balance."""
        if self.weigher is not None and key is not None:
            self.weekend_counts[key] += self.weigher(start, end)

    def deal(self, pool: Pool, start, end, avoid=()) -> tuple[Key, bool]:
        """Return (participant, conflict) for the span and move the pool's pointer on.

        Someone blocked outright (a following secondary's primary) loses the turn as before;
        someone away for the whole turn, or passed over by ``avoid``, keeps their place and the
        one standing in skips their own next turn.
        """
        pool.settle()
        order = pool.in_turn_order()
        core = turn_core(start, end, self.tz)
        unblocked = [key for key in order if not self.blocked.overlaps(key, start, end)]
        available = [key for key in unblocked if not self.leave.covers(key, *core)]
        available = [key for key in available if key not in avoid] or available
        weight = self.weigher(start, end) if self.weigher is not None else 0
        if not available:
            chosen = order[0]
            pool.move_past(chosen)
            self.weekend_counts[chosen] += weight
            return chosen, True
        chosen = available[0]
        if weight and len(available) > 1:
            rank = {key: i for i, key in enumerate(order)}
            chosen = min(available, key=lambda k: (self.weekend_counts[k], rank[k]))
        regular = unblocked[0]
        self.weekend_counts[chosen] += weight
        if chosen == regular:
            pool.move_past(chosen)
            return chosen, False
        # Out of turn: whoever's turn it was keeps it, the chosen one skips their next one.
        pool.point_at(regular)
        pool.take_early(chosen)
        return chosen, False


def subtract(start, end, taken: Iterable[tuple]) -> list[tuple]:
    """Return the parts of [start, end) not covered by the (start, end) spans in ``taken``."""
    free = []
    cursor = start
    for s, e in sorted(taken):
        if e <= cursor or s >= end:
            continue
        if s > cursor:
            free.append((cursor, s))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        free.append((cursor, end))
    return free
