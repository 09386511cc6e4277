"""Standby: who would have been on call, when, under a support model being replayed.

A *pool* is a handling team (a product team, the dedicated team, the first line) with the
spans of time during which it is on duty. Inside a pool one person is on call at a time, in
weekly turns in the pool's turn order; weeks are counted from the first day of sprint 0 of the
sprint calendar (in its time zone), so who holds a week never depends on where a report's
period starts. For every person and every pool and sprint this counts:

* on-call hours, and those on a local Saturday or Sunday (``weekend_hours``);
* nights on call: nights (22:00-07:00 in the pool's time zone) of which the person held the
  middle (02:00), so each night of a pool counts once;

and, over all pools, how many people were on call at the same time on average over the
period (``at_once``: on-call hours over the hours of the period).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from core import caches
from core.timeutil import ONE_DAY, local_at, start_of_day, zone

from .records import Cadence
from .workcal import HOUR

NIGHT_MIDDLE = datetime.time(2, 0)
DAYS_PER_TURN = 7


@dataclass
class Standby:
    """What duty cost, per person and per (pool key, sprint number)."""

    person_hours: dict = field(default_factory=lambda: defaultdict(float))
    person_weekend: dict = field(default_factory=lambda: defaultdict(float))
    person_nights: dict = field(default_factory=lambda: defaultdict(int))
    person_pool: dict = field(default_factory=dict)  # person -> pool key
    hours: dict = field(default_factory=lambda: defaultdict(float))  # (key, sprint) -> hours
    weekend: dict = field(default_factory=lambda: defaultdict(float))
    nights: dict = field(default_factory=lambda: defaultdict(int))
    at_once: float = 0.0


def turn(cadence: Cadence, day: datetime.date) -> int:
    """Return the number of the on-call week that ``day`` (local to the calendar) is in."""
    return (day - cadence.start_date).days // DAYS_PER_TURN


@lru_cache(maxsize=16384)
def _midnight(day: datetime.date, tz_name: str) -> datetime.datetime:
    return start_of_day(day, zone(tz_name))


@lru_cache(maxsize=65536)
def _piece(tz_name: str, start: datetime.datetime, end: datetime.datetime):
    """Return (hours, weekend hours, middles of nights) of the span [start, end) in a zone."""
    tz = zone(tz_name)
    hours = (end - start) / HOUR
    weekend, nights = 0.0, []
    day = start.astimezone(tz).date() - ONE_DAY
    last = end.astimezone(tz).date()
    while day <= last:
        begins, ends = _midnight(day, tz_name), _midnight(day + ONE_DAY, tz_name)
        if day.weekday() >= 5:
            overlap = min(ends, end) - max(begins, start)
            if overlap > datetime.timedelta():
                weekend += overlap / HOUR
        middle = local_at(day, NIGHT_MIDDLE, tz)
        if start <= middle < end:
            nights.append(day - ONE_DAY)  # the night began the evening before
        day += ONE_DAY
    return hours, weekend, tuple(nights)


caches.register("reports.standby.midnight", _midnight.cache_clear)
caches.register("reports.standby.piece", _piece.cache_clear)


def standby(pools: dict, cadence: Cadence) -> Standby:
    """Return the standby of ``pools``: {key: (handler, [(start, end), ...])}.

    ``handler`` has ``people`` (turn order) and ``calendar`` (its time zone). Spans are cut at
    the calendar's midnights, so a turn or a sprint never changes inside a piece.
    """
    result = Standby()
    tz, name = zone(cadence.timezone), cadence.timezone
    edges = []
    for key, (handler, spans) in pools.items():
        if not handler.people:
            continue
        for person in handler.people:
            result.person_pool.setdefault(person, key)
        for start, end in spans:
            if end <= start:
                continue
            edges += [(start, 1), (end, -1)]
            day = start.astimezone(tz).date()
            while True:
                cut = _midnight(day + ONE_DAY, name)
                a, b = max(start, _midnight(day, name)), min(end, cut)
                if a < b:
                    _add(result, key, handler, cadence, day, a, b)
                if cut >= end:
                    break
                day += ONE_DAY
    if edges:
        first, last = min(t for t, _ in edges), max(t for t, _ in edges)
        span = (last - first) / HOUR
        result.at_once = round(sum(result.hours.values()) / span, 1) if span else 0.0
    return result


def _add(result: Standby, key, handler, cadence: Cadence, day, start, end) -> None:
    hours, weekend, nights = _piece(handler.calendar.timezone, start, end)
    week = (day - cadence.start_date).days // DAYS_PER_TURN
    person = handler.people[week % len(handler.people)]
    sprint = cadence.number(day)
    result.person_hours[person] += hours
    result.person_weekend[person] += weekend
    result.person_nights[person] += len(nights)
    result.hours[key, sprint] += hours
    result.weekend[key, sprint] += weekend
    result.nights[key, sprint] += len(nights)
