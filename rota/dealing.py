"""Deal slots to participants: round robin, skipping the unavailable, optionally fair on weekends.

Pure code (no queries) so that generation can plan two years of a rotation in memory and write
it in a few bulk statements.

* **Turn order.** Each pool (the participants of a rotation, or the members of one team) keeps a
  pointer to whose turn is next. After a slot is dealt the pointer moves past the chosen
  participant, so someone skipped for leave loses that turn and nobody gets two in a row.
* **Unavailability.** A participant unavailable for any part of a slot is skipped for the next
  available one. If all are unavailable, the one whose turn it is gets the slot anyway and the
  slot is reported as a conflict.
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

from .timeutil import ONE_DAY, local_at, local_date

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

    def __init__(self, *, blocked: Blocked, weigher: WeekendWeigher | None = None):
        self.blocked = blocked
        self.weigher = weigher
        self.weekend_counts: Counter = Counter()

    def record(self, key: Key | None, start, end) -> None:
        """Count an existing shift towards the weekend balance."""
        if self.weigher is not None and key is not None:
            self.weekend_counts[key] += self.weigher(start, end)

    def deal(self, pool: Pool, start, end) -> tuple[Key, bool]:
        """Return (participant, conflict) for the span and move the pool's pointer on."""
        pool.settle()
        order = pool.in_turn_order()
        available = [key for key in order if not self.blocked.overlaps(key, start, end)]
        weight = self.weigher(start, end) if self.weigher is not None else 0
        conflict = not available
        chosen = order[0] if conflict else available[0]
        if weight and len(available) > 1:
            rank = {key: i for i, key in enumerate(order)}
            fairest = min(available, key=lambda k: (self.weekend_counts[k], rank[k]))
            if fairest != chosen:
                # Out of turn: whoever's turn it was keeps it, the fairest skips their next one.
                pool.take_early(fairest)
                self.weekend_counts[fairest] += weight
                return fairest, False
        pool.move_past(chosen)
        self.weekend_counts[chosen] += weight
        return chosen, conflict


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
