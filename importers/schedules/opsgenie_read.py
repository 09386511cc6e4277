"""Reading Opsgenie's REST API JSON into plain Python, and Opsgenie's rules as pure functions.

The importer (:mod:`.opsgenie`) is given one bundle::

    {"users": [user, ...],            # GET /v2/users .data
     "teams": [team, ...],            # GET /v2/teams/{id} .data (with members)
     "schedules": [schedule, ...],    # GET /v2/schedules/{id}?expand=rotation .data
     "overrides": {schedule name or id: [override, ...]},  # GET /v2/schedules/{id}/overrides
     "escalations": [escalation, ...]}  # GET /v2/escalations .data

or the raw responses (``{"data": ...}``), or a JSON list of bundles and raw responses. Raw
objects are told apart by their keys: ``rules`` (escalation), ``alias`` or ``_parent``
(override, attributed to the schedule its ``_parent`` names), ``rotations`` or ``timezone``
(schedule), ``username`` (user), anything else with a ``name`` (team).

No queries here: everything is arithmetic on the JSON.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from importers.base import ImportRefused, excerpt
from rota.models import Rotation

from .formats import refuse_foreign

UNITS = {"hourly": Rotation.Unit.HOURS, "daily": Rotation.Unit.DAYS, "weekly": Rotation.Unit.WEEKS}
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
MINUTES_IN_WEEK = 7 * 24 * 60
DELAY_UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
BUNDLE_KEYS = ("users", "teams", "schedules", "overrides", "escalations")


class Unmappable(Exception):
    """One source object cannot be imported as it is; the message says why."""


@dataclasses.dataclass
class Bundle:
    """Everything the files held, keyed for look-ups.

    ``users``: id -> user and lower-cased username -> user; ``teams``: id -> team;
    ``schedules``: id -> schedule; ``overrides``: schedule id or name -> list of overrides
    (absent: none given, so earlier imports are left alone); ``escalations``: id -> escalation.
    """

    users: dict = dataclasses.field(default_factory=dict)
    teams: dict = dataclasses.field(default_factory=dict)
    schedules: dict = dataclasses.field(default_factory=dict)
    overrides: dict = dataclasses.field(default_factory=dict)
    escalations: dict = dataclasses.field(default_factory=dict)

    def overrides_of(self, schedule: dict) -> list | None:
        for key in (schedule.get("id"), schedule.get("name")):
            if key and key in self.overrides:
                return self.overrides[key]
        return None


def read_documents(data: bytes | str | list | dict) -> Bundle:
    """Parse the file(s) into a ``Bundle``; raise ``ImportRefused`` when it is not Opsgenie JSON
    (or has the marks of PagerDuty's or Grafana OnCall's, see :mod:`.formats`)."""
    if isinstance(data, bytes | str):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImportRefused(f"not JSON: {exc}") from None
    else:
        doc = data
    refuse_foreign(doc, "opsgenie")
    bundle = Bundle()
    documents = doc if isinstance(doc, list) else [doc]
    for index, document in enumerate(documents):
        where = f"[{index}]" if isinstance(doc, list) else "file"
        if not isinstance(document, dict):
            raise ImportRefused("expected an object (a bundle or an API response)", where=where)
        if "data" in document:
            data_part = document["data"]
            items = data_part if isinstance(data_part, list) else [data_part]
            for item in items:
                _add_raw(bundle, item, where)
        elif set(document) & set(BUNDLE_KEYS):
            _add_bundle(bundle, document, where)
        else:
            raise ImportRefused(
                'expected a bundle {"users", "teams", "schedules", "overrides", "escalations"} '
                'or an Opsgenie API response {"data": ...}',
                where=where,
            )
    if not bundle.schedules and not bundle.escalations and not bundle.teams:
        raise ImportRefused("no schedules, teams or escalations in the file")
    return bundle


def _add_bundle(bundle: Bundle, document: dict, where: str) -> None:
    for key in ("users", "teams", "schedules", "escalations"):
        items = document.get(key) or []
        if not isinstance(items, list):
            raise ImportRefused("expected a list", where=f"{where}.{key}")
        for item in items:
            if not isinstance(item, dict) or not item.get("id"):
                raise ImportRefused("expected objects with an id", where=f"{where}.{key}")
            _put(bundle, key, item)
    overrides = document.get("overrides") or {}
    if not isinstance(overrides, dict) or not all(isinstance(v, list) for v in overrides.values()):
        raise ImportRefused(
            "expected {schedule name or id: [override, ...]}", where=f"{where}.overrides"
        )
    for schedule, items in overrides.items():
        bundle.overrides.setdefault(schedule, []).extend(items)


def _add_raw(bundle: Bundle, item, where: str) -> None:
    if not isinstance(item, dict):
        raise ImportRefused("expected objects under data", where=where)
    if "rules" in item:
        kind = "escalations"
    elif "alias" in item or "_parent" in item:
        parent = item.get("_parent") or {}
        key = parent.get("id") or parent.get("name") if isinstance(parent, dict) else None
        if not key:
            raise ImportRefused(
                "an override without _parent: put overrides in a bundle under their schedule",
                where=where,
            )
        bundle.overrides.setdefault(key, []).append(item)
        return
    elif "rotations" in item or "timezone" in item:
        kind = "schedules"
    elif "username" in item:
        kind = "users"
    elif "name" in item:
        kind = "teams"
    else:
        raise ImportRefused("an object that is no user, team, schedule or escalation", where=where)
    if not item.get("id"):
        raise ImportRefused(f"a {kind[:-1]} without an id", where=where)
    _put(bundle, kind, item)


def _put(bundle: Bundle, kind: str, item: dict) -> None:
    store = getattr(bundle, kind)
    if kind == "teams" and item["id"] in store:
        # GET /v2/teams (no members) and GET /v2/teams/{id} (members) may both be given.
        merged = {**store[item["id"]], **item}
        merged["members"] = item.get("members") or store[item["id"]].get("members")
        store[item["id"]] = merged
        return
    store[item["id"]] = item
    if kind == "users" and item.get("username"):
        store[str(item["username"]).lower()] = item


def source_mark(schedule_id: str, rotation_id: str) -> str:
    """Return the text an imported rotation's description carries to be found again."""
    return f"Opsgenie schedule {schedule_id} rotation {rotation_id}"


# --- values -----------------------------------------------------------------------------


def parse_instant(value, field: str) -> datetime.datetime:
    """Parse Opsgenie's ISO 8601 instant (``2026-03-02T08:00:00Z``) into an aware datetime."""
    if not isinstance(value, str) or not value:
        raise Unmappable(f"{field} is missing")
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unmappable(f'{field} "{excerpt(value)}" is not an ISO 8601 date and time') from None
    if parsed.tzinfo is None:
        raise Unmappable(f'{field} "{excerpt(value)}" has no UTC offset')
    return parsed.astimezone(datetime.UTC)


def parse_zone(value) -> ZoneInfo:
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise Unmappable(f'timezone "{excerpt(value)}" is not an IANA time zone') from None


def turn_unit(rotation: dict) -> tuple[str, int]:
    """Return Rota's (shift length unit, count) of a rotation's ``type`` and ``length``."""
    kind = str(rotation.get("type") or "").lower()
    if kind not in UNITS:
        raise Unmappable(f'type "{rotation.get("type")}" is none of hourly, daily, weekly')
    length = rotation.get("length", 1)
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 1000:
        raise Unmappable(f"length {length!r} is not a whole number from 1 to 1000")
    return UNITS[kind], length


def _hhmm(hour, minute, field: str) -> str:
    if not (isinstance(hour, int) and isinstance(minute, int) and 0 <= hour <= 23):
        raise Unmappable(f"{field}: {hour!r}:{minute!r} is not a time of day")
    if not 0 <= minute <= 59:
        raise Unmappable(f"{field}: {hour!r}:{minute!r} is not a time of day")
    return f"{hour:02d}:{minute:02d}"


def restriction_windows(restriction) -> list[dict] | None:
    """Return Rota's weekly windows of an Opsgenie ``timeRestriction``; None: around the clock.

    ``time-of-day`` ({restriction: {startHour, startMin, endHour, endMin}}) holds every day: it
    becomes seven windows, each ending the next day when the end is at or before the start
    (22:00-06:00 runs overnight; equal times are the whole day, so no restriction).
    ``weekday-and-time-of-day`` ({restrictions: [{startDay: "MONDAY", startHour, startMin,
    endDay, endHour, endMin}]}) becomes one window each, wrapping over the week's end when it
    ends at or before it starts; one that ends where it starts is the whole week. Times are in
    the schedule's time zone, as in Opsgenie. Raise ``Unmappable`` on anything else.
    """
    if not restriction:
        return None
    if not isinstance(restriction, dict):
        raise Unmappable("timeRestriction is not an object")
    kind = restriction.get("type")
    if kind == "time-of-day":
        part = restriction.get("restriction") or {}
        start = _hhmm(part.get("startHour"), part.get("startMin", 0), "timeRestriction start")
        end = _hhmm(part.get("endHour"), part.get("endMin", 0), "timeRestriction end")
        if start == end:
            return None
        # An end at or before the start is on the next day (Sunday's night ends on Monday).
        return [
            {"from_day": d, "from": start, "to_day": d if end > start else d % 7 + 1, "to": end}
            for d in range(1, 8)
        ]
    if kind == "weekday-and-time-of-day":
        parts = restriction.get("restrictions")
        if not isinstance(parts, list) or not parts:
            raise Unmappable("timeRestriction.restrictions is not a list of restrictions")
        windows = []
        for i, part in enumerate(parts):
            where = f"timeRestriction.restrictions[{i}]"
            if not isinstance(part, dict):
                raise Unmappable(f"{where} is not an object")
            days = []
            for key in ("startDay", "endDay"):
                day = str(part.get(key) or "").upper()
                if day not in DAYS:
                    raise Unmappable(f'{where}.{key} "{part.get(key)}" is not a weekday')
                days.append(DAYS.index(day) + 1)
            start = _hhmm(part.get("startHour"), part.get("startMin", 0), f"{where} start")
            end = _hhmm(part.get("endHour"), part.get("endMin", 0), f"{where} end")
            if (days[0], start) == (days[1], end):
                return None  # the whole week
            windows.append({"from_day": days[0], "from": start, "to_day": days[1], "to": end})
        return windows
    raise Unmappable(
        f'timeRestriction type "{kind}" is none of time-of-day, weekday-and-time-of-day'
    )


def week_minutes(windows: list[dict] | None) -> set[int]:
    """Return the minutes of the week (0 = Monday 00:00) the windows cover; None: all of them."""
    if windows is None:
        return set(range(MINUTES_IN_WEEK))
    covered = set()
    for w in windows:
        start = (w["from_day"] - 1) * 1440 + int(w["from"][:2]) * 60 + int(w["from"][3:])
        end = (w["to_day"] - 1) * 1440 + int(w["to"][:2]) * 60 + int(w["to"][3:])
        length = (end - start) % MINUTES_IN_WEEK or MINUTES_IN_WEEK
        covered.update((start + m) % MINUTES_IN_WEEK for m in range(length))
    return covered


def minute_label(minute: int) -> str:
    """``Sat 09:00`` for a minute of the week."""
    day, rest = divmod(minute, 1440)
    return f"{DAYS[day][:3].title()} {rest // 60:02d}:{rest % 60:02d}"


def delay_minutes(rule: dict) -> int:
    """Return an escalation rule's delay in minutes after the alert was created."""
    delay = rule.get("delay") or {}
    if not isinstance(delay, dict):
        raise Unmappable("delay is not an object")
    amount = delay.get("timeAmount", 0)
    unit = str(delay.get("timeUnit") or "minutes").lower()
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise Unmappable(f"delay.timeAmount {amount!r} is not a whole number")
    if unit not in DELAY_UNITS:
        raise Unmappable(f'delay.timeUnit "{unit}" is none of minutes, hours, days')
    return amount * DELAY_UNITS[unit]
