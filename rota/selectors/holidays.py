"""Public holidays that switch restricted rotations off (or, out of hours, on).

Whose holidays count for a rotation (the rule the module docstring of
:mod:`rota.selectors.schedule` states) depends on who is on duty, so they are handed to
:func:`rota.selectors.schedule.restriction_windows` as *periods*: spans of time, each with the
set of local dates that are holidays during it. Loading them for any number of rotations costs
one query (none when no restricted rotation has a team to ask about); that query also brings
the shifts of the team rotations that person rotations follow.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import DateTimeField, IntegerField, Value

from core.timeutil import ONE_DAY, local_date, zone

from ..models import Rotation, Shift, Unavailability
from ..workhours import business_hours

NO_HOLIDAYS: frozenset = frozenset()

# (from, until, the local dates that are public holidays in that span)
Period = tuple[datetime.datetime, datetime.datetime, frozenset]


@dataclass
class HolidayBook:
    """Team holidays and, per followed team rotation, which team is on shift when."""

    dates: dict[int, frozenset] = field(default_factory=dict)  # team id: holiday dates
    # followed rotation id: (start, end, team id) of its shifts whose team has holidays
    support: dict[int, list[tuple]] = field(default_factory=dict)

    def periods(self, rotation: Rotation, segments, start, end) -> list[Period]:
        """Return the holiday periods of ``rotation`` within [start, end).

        ``segments`` are its segments there before restrictions (they say which team is on
        duty in a team rotation without a team of its own).
        """
        if rotation.follows_team_rotation_id is not None:
            return [
                (max(s, start), min(e, end), self.dates.get(team_id, NO_HOLIDAYS))
                for s, e, team_id in self.support.get(rotation.follows_team_rotation_id, ())
                if s < end and e > start
            ]
        if rotation.team_id is not None:
            return [(start, end, self.dates.get(rotation.team_id, NO_HOLIDAYS))]
        if rotation.kind == Rotation.Kind.TEAM:
            return [
                (max(seg.start, start), min(seg.end, end), self.dates.get(seg.team.pk))
                for seg in segments
                if seg.team is not None and seg.team.pk in self.dates
            ]
        return []


def _wanted(requests):
    teams, followed = set(), set()
    for rotation, segments, _, _ in requests:
        if rotation.follows_team_rotation_id is not None:
            followed.add(rotation.follows_team_rotation_id)
        elif rotation.team_id is not None:
            teams.add(rotation.team_id)
        elif rotation.kind == Rotation.Kind.TEAM:
            teams.update(seg.team.pk for seg in segments if seg.team is not None)
    return teams, followed


def load_holidays(requests) -> HolidayBook:
    """Load the holidays that ``requests`` need, in one query at most.

    ``requests`` are (rotation, its segments before restrictions, start, end) tuples, the
    segments and span as in :meth:`HolidayBook.periods`.
    """
    book = HolidayBook()
    teams, followed = _wanted(requests)
    if not teams and not followed:
        return book
    start = min(request[2] for request in requests)
    end = max(request[3] for request in requests)
    # Stored dates are local to each rotation; a local date is within a day of the UTC one.
    first, last = start.date() - ONE_DAY, min(end.date(), datetime.date.max - ONE_DAY) + ONE_DAY
    nothing = (
        Value(None, output_field=IntegerField()),
        Value(None, output_field=DateTimeField()),
        Value(None, output_field=DateTimeField()),
    )
    direct = Unavailability.objects.filter(
        team_id__in=teams,
        kind=Unavailability.Kind.PUBLIC_HOLIDAY,
        end_date__gte=first,
        start_date__lte=last,
    ).values_list("team_id", "start_date", "end_date", *nothing)
    direct = direct.order_by()  # a compound query takes no ORDER BY in its parts
    # The shifts of the followed rotations, each with its team's holidays (one row per pair).
    on_support = Shift.objects.filter(
        rotation_id__in=followed,
        start__lt=end,
        end__gt=start,
        team__unavailability__kind=Unavailability.Kind.PUBLIC_HOLIDAY,
        team__unavailability__end_date__gte=first,
        team__unavailability__start_date__lte=last,
    ).values_list(
        "team_id",
        "team__unavailability__start_date",
        "team__unavailability__end_date",
        "rotation_id",
        "start",
        "end",
    )
    on_support = on_support.order_by()
    if not followed:
        rows = direct
    elif not teams:
        rows = on_support
    else:
        rows = direct.union(on_support, all=True)
    dates, support = defaultdict(set), defaultdict(set)
    for team_id, first_day, last_day, rotation_id, shift_start, shift_end in rows:
        day = max(first_day, first)
        while day <= min(last_day, last):
            dates[team_id].add(day)
            day += ONE_DAY
        if rotation_id is not None:
            support[rotation_id].add((shift_start, shift_end, team_id))
    book.dates = {team_id: frozenset(days) for team_id, days in dates.items()}
    book.support = {pk: sorted(spans) for pk, spans in support.items()}
    return book


def team_in_business_hours(*, team, at: datetime.datetime) -> bool:
    """Return whether the UTC instant ``at`` is in ``team``'s business hours (one query).

    The rule of :mod:`rota.workhours` in the team's time zone: Monday to Friday 09:00-17:00
    local, except the team's public holidays.
    """
    tz = zone(team.timezone)
    day = local_date(at, tz)
    holiday = Unavailability.objects.filter(
        team=team,
        kind=Unavailability.Kind.PUBLIC_HOLIDAY,
        start_date__lte=day,
        end_date__gte=day,
    ).exists()
    span = business_hours(day, tz, holidays={day} if holiday else NO_HOLIDAYS)
    return span is not None and span[0] <= at < span[1]


@dataclass(frozen=True)
class HolidayDays:
    """Days in a row that are the same public holidays of a team (dates inclusive)."""

    start_date: datetime.date
    end_date: datetime.date
    reason: str  # the holidays' names, joined with "; "


def team_holidays_upcoming(*, team, today: datetime.date, limit: int = 10) -> list[HolidayDays]:
    """Return the team's next ``limit`` public holidays from ``today`` on, one per day.

    Holidays of every source (typed in, imported, from the ``holidays`` package) that fall on
    the same day are one entry naming them all, the package's first ("Christmas Day; Office
    closed"), the same name twice once; days in a row with the same names are one entry. One
    query.
    """
    names: dict[datetime.date, list[str]] = defaultdict(list)
    rows = Unavailability.objects.filter(
        team=team, kind=Unavailability.Kind.PUBLIC_HOLIDAY, end_date__gte=today
    ).values_list("source", "start_date", "end_date", "reason", "id")
    # The country's own holiday is named first on its day, then the others by start.
    holidays_first = sorted(rows, key=lambda r: (r[0] != Unavailability.Source.HOLIDAYS, *r[1:]))
    for _, first, last, reason, _ in holidays_first:
        # The package already joins two holidays of one day with "; ": count each once.
        parts = [part.strip() for part in (reason or "Public holiday").split("; ")]
        day = max(first, today)
        while day <= last:
            names[day] += [part for part in parts if part and part not in names[day]]
            day += ONE_DAY
    found: list[HolidayDays] = []
    for day in sorted(names):
        reason = "; ".join(names[day])
        if found and found[-1].end_date + ONE_DAY == day and found[-1].reason == reason:
            found[-1] = HolidayDays(found[-1].start_date, day, reason)
        elif len(found) == limit:
            break
        else:
            found.append(HolidayDays(day, day, reason))
    return found
