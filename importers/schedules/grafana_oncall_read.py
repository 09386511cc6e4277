"""Reading Grafana OnCall's public API JSON and turning its shifts into rotation plans.

The file is one JSON object with the sections ``users``, ``teams``, ``schedules``,
``on_call_shifts``, ``escalation_chains`` and ``escalation_policies``; each section is a list of
objects, a paginated response (``{"count", "next", "results": [...]}``) or a list of such pages,
as ``GET /api/v1/<section>/`` returns them.

How Grafana OnCall reads a shift (its on-call shifts API and its iCal export of shifts):

* ``start`` is a wall-clock time in the shift's ``time_zone``, else the schedule's, else UTC;
  each occurrence lasts ``duration`` seconds and recurs every ``interval`` ``frequency``
  periods at the same local time (across DST changes);
* ``by_day`` lists the days (``MO`` .. ``SU``) on which a weekly (or daily) shift occurs;
* ``rolling_users`` is a list of user groups; the group on call moves to the next one every
  ``interval`` periods (for weekly shifts, at the week boundary given by ``week_start``, so
  all the ``by_day`` occurrences of one week belong to one group), starting from the group at
  ``start_rotation_from_user_index``;
* ``level`` is the priority: where shifts of one schedule overlap, the higher level answers;
  overrides (shifts of type ``override``) beat every level.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from importers.base import ImportRefused, excerpt

from .formats import foreign_hint, refuse_foreign

SECTIONS = (
    "users",
    "teams",
    "schedules",
    "on_call_shifts",
    "escalation_chains",
    "escalation_policies",
)
REQUIRED = ("users", "on_call_shifts", "schedules")
DAYS = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}
WEEK = datetime.timedelta(days=7)
UNIT = {"hourly": "hours", "daily": "days", "weekly": "weeks"}
PERIOD = {
    "hourly": datetime.timedelta(hours=1),
    "daily": datetime.timedelta(days=1),
    "weekly": WEEK,
}


class Unmappable(Exception):
    """One object cannot be imported; the message says why."""


def _items(value, section: str) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        value = value["results"]
    elif (
        isinstance(value, list)
        and value
        and all(isinstance(p, dict) and isinstance(p.get("results"), list) for p in value)
    ):
        value = [item for page in value for item in page["results"]]
    if not isinstance(value, list):
        raise ImportRefused(
            'expected a list, {"results": [...]} or a list of such pages', where=section
        )
    bad = [i for i, item in enumerate(value) if not isinstance(item, dict) or not item.get("id")]
    if bad:
        raise ImportRefused("not an object with an id", where=f"{section}[{bad[0]}]")
    return value


def read_bundle(data: bytes) -> dict[str, dict[str, dict]]:
    """Return ``{section: {id: object}}`` for every section.

    Raise ImportRefused if unreadable, without the ``users``, ``on_call_shifts`` and
    ``schedules`` sections, or with the marks of PagerDuty's or Opsgenie's JSON.
    """
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportRefused(f"not JSON ({error})") from None
    missing = [key for key in REQUIRED if not isinstance(doc, dict) or key not in doc]
    if missing:
        raise ImportRefused(
            f"no {' / '.join(missing)} section{'s' if len(missing) > 1 else ''}: this is not a "
            f"Grafana OnCall bundle{foreign_hint(doc, 'grafana')}; expected one JSON object "
            "with the sections " + ", ".join(SECTIONS) + " (see README)"
        )
    refuse_foreign(doc, "grafana")
    return {
        section: {str(item["id"]): item for item in _items(doc.get(section), section)}
        for section in SECTIONS
    }


def zone_named(name, where: str) -> str:
    if not name:
        return "UTC"
    name = "UTC" if str(name).lower() == "etc/utc" else str(name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise Unmappable(f'{where} "{excerpt(name)}" is not an IANA time zone') from None
    return name


def local_time(value, zone_name: str, field: str) -> datetime.datetime:
    """Return the naive wall-clock time in ``zone_name`` of an API date-time string."""
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Unmappable(
            f'{field} "{excerpt(value)}" is not a date-time yyyy-MM-ddTHH:mm:ss'
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    return moment


@dataclasses.dataclass
class Plan:
    """What one Grafana OnCall shift becomes in Rota: the rotation's fields and its people.

    ``groups`` are lists of Grafana user ids in turn order; ``losses`` say what Rota cannot keep.
    """

    fields: dict
    groups: list[list[str]]
    losses: list[str]
    until: datetime.datetime | None = None


def _hhmm(moment: datetime.datetime) -> str:
    return f"{moment:%H:%M}"


def _windows(days: list[int], start: datetime.datetime, duration: datetime.timedelta) -> list:
    """One weekly window per day: from ``start``'s time that day for ``duration``."""
    end = start + duration
    shift = (end.date() - start.date()).days
    return [
        {"from_day": d, "from": _hhmm(start), "to_day": (d - 1 + shift) % 7 + 1, "to": _hhmm(end)}
        for d in days
    ]


def plan_rotation(shift: dict, zone_name: str) -> Plan:
    """Map one rolling_users or recurrent_event shift to rotation fields; raise Unmappable."""
    kind = shift.get("type")
    if kind == "single_event":
        raise Unmappable("a single event is not a rotation; add it in Rota as an override")
    if kind not in ("rolling_users", "recurrent_event"):
        raise Unmappable(f'shift type "{kind}" is not importable')
    frequency = shift.get("frequency")
    if frequency == "monthly":
        raise Unmappable("monthly shifts have no Rota equivalent (shifts last hours, days, weeks)")
    if frequency not in PERIOD:
        raise Unmappable(f'frequency "{frequency}" is none of hourly, daily, weekly')
    if shift.get("by_month") or shift.get("by_monthday"):
        raise Unmappable("by_month and by_monthday have no Rota equivalent")
    interval = shift.get("interval") or 1
    if not isinstance(interval, int) or interval < 1:
        raise Unmappable(f'interval "{interval}" is not a positive whole number')
    duration = shift.get("duration")
    if not isinstance(duration, int) or duration <= 0:
        raise Unmappable(f'duration "{duration}" is not a positive number of seconds')
    duration = datetime.timedelta(seconds=duration)
    start = local_time(shift.get("start"), zone_name, "start")
    period = PERIOD[frequency] * interval
    if duration > period:
        raise Unmappable(f"occurrences of {duration} overlap (they recur every {period})")
    if start.second or duration.total_seconds() % 60:
        raise Unmappable("start and duration must be whole minutes for Rota's windows")

    if kind == "rolling_users":
        groups = shift.get("rolling_users") or []
        if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
            raise Unmappable("rolling_users must be a list of lists of user ids")
    else:
        groups = [shift.get("users") or []]
    groups = [[str(u) for u in group] for group in groups if group]
    if not groups:
        raise Unmappable("nobody takes this shift (no users)")
    first = shift.get("start_rotation_from_user_index") or 0
    if not isinstance(first, int) or not 0 <= first < len(groups):
        raise Unmappable(f"start_rotation_from_user_index {first} is not a group of rolling_users")
    groups = groups[first:] + groups[:first]

    days = sorted({DAYS[d] for d in shift.get("by_day") or () if d in DAYS})
    if len(days) != len(shift.get("by_day") or ()):
        raise Unmappable(f"by_day {shift.get('by_day')} holds a day none of {', '.join(DAYS)}")
    handoff = start
    restriction, windows, crossing = "none", [], False
    if frequency == "weekly":
        week_start = DAYS.get(shift.get("week_start") or "SU", 7)
        if days and start.isoweekday() not in days:
            # As Grafana OnCall: the first occurrence is the first chosen day in week order.
            first_day = min(days, key=lambda d: (d - week_start) % 7)
            start += datetime.timedelta(days=(first_day - start.isoweekday()) % 7)
        days = days or [start.isoweekday()]
        # The group changes at the week boundary: the turn begins with the first occurrence
        # of its week (counted from week_start), which may lie before ``start`` that week.
        first_day = min(days, key=lambda d: (d - week_start) % 7)
        back = (start.isoweekday() - week_start) % 7 - (first_day - week_start) % 7
        handoff = start - datetime.timedelta(days=back)
        if days == [start.isoweekday()] and duration == period:
            pass  # on call around the clock, handing over every ``interval`` weeks
        elif interval > 1:
            raise Unmappable(
                f"occurrences every {interval} weeks that do not fill the week have no Rota "
                "equivalent (weekly windows repeat every week)"
            )
        else:
            restriction, windows = "weekly", _windows(days, start, duration)
            minutes = duration.total_seconds() // 60
            at = (handoff.isoweekday() - 1) * 1440 + handoff.hour * 60 + handoff.minute
            if len(groups) > 1 and any(
                0 < (at - (d - 1) * 1440 - start.hour * 60 - start.minute) % (7 * 1440) < minutes
                for d in days
            ):
                crossing = True
    elif frequency == "daily":
        if days and len(days) < 7 and len(groups) > 1:
            raise Unmappable(
                "a daily rotation on chosen days hands over on every occurrence, skipping the "
                "other days; Rota hands over on calendar days"
            )
        if not (len(days) in (0, 7) and duration == period):
            if interval > 1:
                raise Unmappable(
                    f"occurrences every {interval} days that do not fill the days have no Rota "
                    "equivalent"
                )
            restriction, windows = "weekly", _windows(days or list(range(1, 8)), start, duration)
    elif days or duration != period:
        raise Unmappable("hourly shifts must fill every hour of their interval, on every day")
    if restriction == "weekly" and duration >= WEEK:
        restriction, windows = "none", []
    losses = []
    if crossing:
        losses.append(
            f"an occurrence runs past the weekly handoff ({handoff:%a %H:%M}, the week's first "
            "occurrence); in Rota the next person takes over its rest"
        )
    several = [g for g in groups if len(g) > 1]
    if several:
        losses.append(
            "groups of several users are on call together in Grafana OnCall; a Rota rotation "
            "pages one person, so only the first user of each group is kept "
            f"(left out: {', '.join(u for g in several for u in g[1:])})"
        )
        groups = [g[:1] for g in groups]
    level = shift.get("level") or 0
    fields = {
        "kind": "person",
        "shift_length_unit": UNIT[frequency],
        "shift_length_count": interval,
        "handoff_time": handoff.time(),
        "timezone": zone_name,
        "start_date": handoff.date(),
        "restriction": restriction,
        "restriction_windows": windows,
        "layer": max(int(level), 0) + 1,
    }
    until = None
    if shift.get("until"):
        until = local_time(shift["until"], zone_name, "until")
    return Plan(fields=fields, groups=groups, losses=losses, until=until)
