"""Reading PagerDuty's schedule JSON: the bundle, its parts, and the arithmetic of layers.

Pure code, no queries: ``read_documents`` turns the files a user saved (a bundle, or the raw
responses of ``GET /schedules/{id}``, ``GET /schedules/{id}/overrides``,
``GET /escalation_policies/{id}`` and ``GET /users``) into one ``Bundle``; ``LayerClock`` says
who is on in a layer at an instant; ``turn_unit``, ``restriction_windows`` and
``escalation_steps`` translate a layer's turn length, its restrictions and a policy's rules into
Rota's terms, each raising ``Unmappable`` with a message a user can act on.

PagerDuty's rule for a layer: the user on at instant t is
``users[k mod n]``, k the number of turns begun since ``rotation_virtual_start``. Turns are read
on the schedule time zone's wall clock (PagerDuty keeps a schedule's handoffs at the same local
time across daylight saving changes, as its time zone documentation describes), which is how
Rota hands off too.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.timeutil import local_to_utc
from importers.base import ImportRefused, excerpt

from .formats import refuse_foreign

WEEK = 7 * 86400
DAY = 86400
HOUR = 3600
MINUTES_IN_WEEK = 7 * 24 * 60
_TIME_OF_DAY = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")


class Unmappable(Exception):
    """One part of the source cannot be brought into Rota; the message says why."""


@dataclasses.dataclass
class Bundle:
    """Everything read from the files: PagerDuty objects as plain dicts, keyed by id."""

    users: dict[str, dict] = dataclasses.field(default_factory=dict)
    schedules: dict[str, dict] = dataclasses.field(default_factory=dict)
    overrides: dict[str, list[dict]] = dataclasses.field(default_factory=dict)
    policies: dict[str, dict] = dataclasses.field(default_factory=dict)
    loose_overrides: list[dict] | None = None  # a raw overrides response: which schedule?


def source_mark(schedule_id: str, layer_id: str) -> str:
    """The text an imported rotation's description carries to be found again, bracketed so
    that layer P1 is not found by layer P12's mark."""
    return f"[PagerDuty schedule {schedule_id} layer {layer_id}]"


def _load(data: bytes):
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ImportRefused(f"not valid JSON: {exc}", where=where) from None


def _objects(value, key: str, where: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ImportRefused(f'"{key}" must be a list of objects', where=where)
    for index, item in enumerate(value):
        if not isinstance(item.get("id"), str) or not item["id"]:
            raise ImportRefused("has no id", where=f"{where} {key}[{index}]")
    return value


def read_documents(data: bytes) -> Bundle:
    """Read one JSON document, or a JSON array of documents, into a ``Bundle``.

    A document is the bundle ``{"users": [...], "schedules": [...], "overrides": {schedule
    id: [...]}, "escalation_policies": [...]}`` (any key may be left out) or one of PagerDuty's
    raw responses: ``{"schedule": {...}}``, ``{"escalation_policy": {...}}``, ``{"user":
    {...}}`` or a list response (``{"users": [...]}``, ``{"overrides": [...]}``...). Raise
    ``ImportRefused`` naming the document when it is none of these, or when the file has the
    marks of Opsgenie's or Grafana OnCall's JSON (see :mod:`.formats`).
    """
    loaded = _load(data)
    refuse_foreign(loaded, "pagerduty")
    documents = loaded if isinstance(loaded, list) else [loaded]
    bundle = Bundle()
    for number, doc in enumerate(documents, start=1):
        where = f"document {number}" if isinstance(loaded, list) else ""
        if not isinstance(doc, dict):
            raise ImportRefused("expected a JSON object", where=where)
        known = False
        for single, plural, target in (
            ("schedule", "schedules", bundle.schedules),
            ("escalation_policy", "escalation_policies", bundle.policies),
            ("user", "users", bundle.users),
        ):
            if single in doc:
                known = True
                for item in _objects([doc[single]], single, where):
                    target[item["id"]] = item
            if plural in doc:
                known = True
                for item in _objects(doc[plural], plural, where):
                    target[item["id"]] = item
        if "overrides" in doc:
            known = True
            overrides = doc["overrides"]
            if isinstance(overrides, dict):
                for schedule_id, items in overrides.items():
                    bundle.overrides.setdefault(schedule_id, []).extend(
                        _objects(items, f"overrides.{schedule_id}", where)
                    )
            else:
                loose = _objects(overrides, "overrides", where)
                bundle.loose_overrides = (bundle.loose_overrides or []) + loose
        if not known:
            raise ImportRefused(
                "not a PagerDuty document: expected schedule(s), escalation_policy(ies), "
                "user(s) or overrides",
                where=where,
            )
    if bundle.loose_overrides is not None:
        # GET /schedules/{id}/overrides does not name its schedule: only one can be meant.
        if len(bundle.schedules) != 1:
            raise ImportRefused(
                "a raw overrides list needs exactly one schedule beside it; with several "
                'schedules use {"overrides": {schedule id: [...]}}'
            )
        (only,) = bundle.schedules
        bundle.overrides.setdefault(only, []).extend(bundle.loose_overrides)
    return bundle


def parse_instant(value, what: str) -> datetime.datetime:
    """Return an aware instant from PagerDuty's ISO 8601 text; ``Unmappable`` otherwise."""
    if not isinstance(value, str):
        raise Unmappable(f"{what} is missing")
    try:
        instant = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unmappable(f'{what} "{excerpt(value)}" is not an ISO 8601 time') from None
    if instant.tzinfo is None:
        raise Unmappable(f'{what} "{excerpt(value)}" has no UTC offset')
    return instant.astimezone(datetime.UTC)


def parse_zone(name) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise Unmappable(f'time_zone "{excerpt(name)}" is not an IANA time zone') from None


def turn_unit(seconds) -> tuple[str, int]:
    """Return Rota's (unit, count) for a turn of ``seconds``: weeks, days or hours, exactly."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise Unmappable(f"rotation_turn_length_seconds {seconds!r} is not a positive number")
    for unit, size in (("weeks", WEEK), ("days", DAY), ("hours", HOUR)):
        if seconds % size == 0:
            count = seconds // size
            if count > 1000:
                raise Unmappable(f"a turn of {count} {unit} is longer than Rota allows (1000)")
            return unit, count
    raise Unmappable(
        f"a turn of {seconds} seconds is not a whole number of hours; Rota's turns are hours, "
        "days or weeks"
    )


class LayerClock:
    """Turn boundaries of a layer, on the schedule's wall clock.

    Boundary ``k`` is ``rotation_virtual_start`` + k turns of local time, made an instant by
    Rota's rule for times that a DST change skips or repeats (``core.timeutil``).
    """

    def __init__(self, virtual_start: datetime.datetime, turn_seconds: int, tz: ZoneInfo):
        self.tz = tz
        self.turn = datetime.timedelta(seconds=turn_seconds)
        self.base = virtual_start.astimezone(tz).replace(tzinfo=None)

    def local(self, k: int) -> datetime.datetime:
        return self.base + k * self.turn

    def boundary(self, k: int) -> datetime.datetime:
        return local_to_utc(self.local(k), self.tz)

    def index_at(self, instant: datetime.datetime) -> int:
        """Return k of the turn containing ``instant`` (negative before the virtual start)."""
        naive = instant.astimezone(self.tz).replace(tzinfo=None)
        k = math.floor((naive - self.base) / self.turn)
        while self.boundary(k) > instant:
            k -= 1
        while self.boundary(k + 1) <= instant:
            k += 1
        return k


def _time_of_day(value, what: str) -> int:
    match = _TIME_OF_DAY.match(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise Unmappable(f'{what} "{excerpt(value)}" is not a time HH:MM:SS')
    if match[3] not in (None, "00"):
        raise Unmappable(
            f'{what} "{excerpt(value)}" has seconds; Rota\'s windows are whole minutes'
        )
    return int(match[1]) * 60 + int(match[2])


def restriction_windows(restrictions) -> list[dict] | None:
    """Return Rota's weekly windows for a layer's restrictions; None for around the clock.

    ``daily_restriction`` is one window a day from ``start_time_of_day`` for
    ``duration_seconds``; ``weekly_restriction`` one window from ``start_day_of_week`` (ISO,
    Monday = 1) at ``start_time_of_day``. Durations are read on the wall clock (18:00 for
    14 hours ends at 08:00 local, also on the night the clocks change). Overlapping and
    touching windows are merged; windows covering the whole week mean no restriction.
    """
    if not restrictions:
        return None
    if not isinstance(restrictions, list):
        raise Unmappable("restrictions must be a list")
    spans = []  # (start minute of week, length in minutes)
    for index, item in enumerate(restrictions):
        what = f"restrictions[{index}]"
        if not isinstance(item, dict):
            raise Unmappable(f"{what} must be an object")
        kind = item.get("type")
        start = _time_of_day(item.get("start_time_of_day"), f"{what}.start_time_of_day")
        duration = item.get("duration_seconds")
        if isinstance(duration, bool) or not isinstance(duration, int) or duration <= 0:
            raise Unmappable(f"{what}.duration_seconds {duration!r} is not a positive number")
        if duration % 60:
            raise Unmappable(
                f"{what}.duration_seconds {duration} is not whole minutes; Rota's windows are "
                "whole minutes"
            )
        minutes = duration // 60
        if kind == "daily_restriction":
            if minutes > 1440:
                raise Unmappable(f"{what}: a daily restriction lasts at most a day")
            spans += [(day * 1440 + start, minutes) for day in range(7)]
        elif kind == "weekly_restriction":
            day = item.get("start_day_of_week")
            if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
                raise Unmappable(f"{what}.start_day_of_week {day!r} is not 1 (Monday) to 7")
            if minutes > MINUTES_IN_WEEK:
                raise Unmappable(f"{what}: a weekly restriction lasts at most a week")
            spans.append(((day - 1) * 1440 + start, minutes))
        else:
            raise Unmappable(f'{what}.type "{kind}" is not daily_restriction or weekly_restriction')
    merged = _merge_on_week(spans)
    if merged is None:
        return None
    return [_window(start, length) for start, length in merged]


def _merge_on_week(spans) -> list[tuple[int, int]] | None:
    """Merge (start, length) spans on the circle of a week's minutes; None when all covered."""
    covered = bytearray(MINUTES_IN_WEEK)
    for start, length in spans:
        for minute in range(start, start + length):
            covered[minute % MINUTES_IN_WEEK] = 1
    if all(covered):
        return None
    # Begin at a free minute so that no merged span is cut at the week's end.
    origin = covered.index(0)
    merged, run_start = [], None
    for step in range(MINUTES_IN_WEEK + 1):
        minute = (origin + step) % MINUTES_IN_WEEK
        on = step < MINUTES_IN_WEEK and covered[minute]
        if on and run_start is None:
            run_start = step
        elif not on and run_start is not None:
            merged.append(((origin + run_start) % MINUTES_IN_WEEK, step - run_start))
            run_start = None
    return sorted(merged)


def _window(start: int, length: int) -> dict:
    end = (start + length) % MINUTES_IN_WEEK
    return {
        "from_day": start // 1440 + 1,
        "from": f"{start % 1440 // 60:02d}:{start % 60:02d}",
        "to_day": end // 1440 + 1,
        "to": f"{end % 1440 // 60:02d}:{end % 60:02d}",
    }


@dataclasses.dataclass(frozen=True)
class Level:
    """One escalation rule: its number (from 1), the minutes after the incident's creation at
    which PagerDuty reaches it and at which it would move on, and its targets as (type, id)."""

    number: int
    at_minutes: int
    next_minutes: int
    targets: tuple[tuple[str, str], ...]


def escalation_levels(policy: dict) -> list[Level]:
    """Return a policy's rules with cumulative delays.

    PagerDuty's ``escalation_delay_in_minutes`` of rule i is the wait before rule i + 1, so
    level 1 is reached at once and level i at the sum of the delays of the rules before it.
    """
    rules = policy.get("escalation_rules")
    if not isinstance(rules, list) or not rules:
        raise Unmappable("has no escalation_rules")
    levels, at = [], 0
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise Unmappable(f"escalation_rules[{number - 1}] must be an object")
        targets = tuple(
            (str(t.get("type", "")), str(t.get("id", "")))
            for t in rule.get("targets") or []
            if isinstance(t, dict)
        )
        delay = rule.get("escalation_delay_in_minutes")
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise Unmappable(
                f"escalation_rules[{number - 1}].escalation_delay_in_minutes {delay!r} is not "
                "a number of minutes"
            )
        levels.append(Level(number, at, at + delay, targets))
        at += delay
    return levels
