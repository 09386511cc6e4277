"""Which shifts clash with their holder's leave, for lists of shifts (API, My rota)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from core.timeutil import ONE_DAY, date_span, zone

from ..dealing import subtract
from ..models import Override, Shift, Unavailability


@dataclass(frozen=True)
class LeaveClash:
    """A stretch of a shift, [start, end) in UTC, in which its holder is away and nobody covers."""

    start: object
    end: object
    unavailability: Unavailability


def shift_leave_clashes(shifts: list[Shift]) -> dict[int, list[LeaveClash]]:
    """Return, per shift id, the stretches its holder is away without a cover.

    A person is away on their own leave or public holidays, a team on its leave (a team's
    public holidays weigh on fairness only). Dates are read in the shift's rotation's zone;
    an override of the rotation over a stretch covers it. Two queries (one without leave),
    none without shifts.
    """
    found: dict[int, list[LeaveClash]] = defaultdict(list)
    users = {s.user_id for s in shifts if s.user_id is not None}
    teams = {s.team_id for s in shifts if s.team_id is not None}
    if not users and not teams:
        return found
    low, high = min(s.start for s in shifts), max(s.end for s in shifts)
    entries = defaultdict(list)
    for entry in Unavailability.objects.filter(
        Q(user_id__in=users) | Q(team_id__in=teams, kind=Unavailability.Kind.LEAVE),
        # Saturated at the ends of the calendar (a stored year-1 or year-9999 shift).
        end_date__gte=max(low.date(), datetime.date.min + ONE_DAY) - ONE_DAY,
        start_date__lte=min(high.date(), datetime.date.max - ONE_DAY) + ONE_DAY,
    ):
        key = ("user", entry.user_id) if entry.user_id else ("team", entry.team_id)
        entries[key].append(entry)
    if not entries:
        return found
    covers = defaultdict(list)
    for rotation_id, start, end in Override.objects.filter(
        rotation_id__in={s.rotation_id for s in shifts}, start__lt=high, end__gt=low
    ).values_list("rotation_id", "start", "end"):
        covers[rotation_id].append((start, end))
    for shift in shifts:
        key = ("user", shift.user_id) if shift.user_id else ("team", shift.team_id)
        tz = zone(shift.rotation.timezone)
        for entry in entries.get(key, ()):
            away_start, away_end = date_span(entry.start_date, entry.end_date, tz)
            start, end = max(shift.start, away_start), min(shift.end, away_end)
            if start >= end:
                continue
            for piece in subtract(start, end, covers[shift.rotation_id]):
                found[shift.pk].append(LeaveClash(*piece, entry))
    return found
