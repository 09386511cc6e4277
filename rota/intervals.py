"""Sets of instants as lists of half-open ``(start, end)`` spans: union, overlap, intersection.

The one rule for everything that adds up time on duty: an instant counts once, however many
spans (rotations, shifts, overrides) hold it. Pure code, no queries; spans are pairs of aware
datetimes and every result is sorted and disjoint, with touching spans joined. Pass UTC (as
stored): Python compares and subtracts two times of one non-UTC zone by their wall clocks,
which is wrong across a DST change.
"""

import datetime
from collections.abc import Iterable

HOUR = datetime.timedelta(hours=1)


def union(spans: Iterable[tuple]) -> list[tuple]:
    """Return the instants any of ``spans`` holds, as sorted disjoint spans."""
    merged: list[list] = []
    for start, end in sorted((s, e) for s, e in spans if s < e):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def held_twice(spans: Iterable[tuple]) -> list[tuple]:
    """Return the instants that at least two of ``spans`` hold, as sorted disjoint spans."""
    events = []
    for start, end in spans:
        if start < end:
            events += [(start, 1), (end, -1)]
    # At the same instant ends come first: [a, b) and [b, c) do not overlap.
    events.sort(key=lambda event: (event[0], event[1]))
    found, depth, since = [], 0, None
    for instant, step in events:
        depth += step
        if depth >= 2 and since is None:
            since = instant
        elif depth < 2 and since is not None:
            if since < instant:
                found.append((since, instant))
            since = None
    return union(found)


def intersection(first: Iterable[tuple], second: Iterable[tuple]) -> list[tuple]:
    """Return the instants both ``first`` and ``second`` hold, as sorted disjoint spans."""
    a, b = union(first), union(second)
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            found.append((start, end))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return found


def total_hours(spans: Iterable[tuple]) -> float:
    """Return the hours that ``spans`` hold together, each instant counted once."""
    return sum(((end - start) for start, end in union(spans)), datetime.timedelta()) / HOUR
