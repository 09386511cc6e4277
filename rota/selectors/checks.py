"""Checks of the coming weeks of a rota: gaps, double bookings and clashes with leave.

The critical components nobody covers out of hours are in :mod:`rota.selectors.cover_gaps`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from core.timeutil import ONE_DAY, date_span, zone

from ..dealing import subtract
from ..intervals import intersection
from ..models import (
    Override,
    Rotation,
    Shift,
    Unavailability,
)
from ..slots import SlotClock
from .schedule import Duty, duty_for, segments_for


@dataclass(frozen=True)
class DoubleBooking:
    """Two bookings at once: shifts of one rotation overlapping, or a person in two rotations."""

    kind: str  # "overlap" or "elsewhere"
    rotation_id: int
    start: datetime.datetime
    end: datetime.datetime
    shift_ids: tuple = ()
    user: object = None
    other_rotation_id: int | None = None
    rotation: Rotation | None = None  # for "elsewhere": both rotations, loaded
    other_rotation: Rotation | None = None


@dataclass(frozen=True)
class LeaveConflict:
    """Someone is on duty while they (or their team) are unavailable."""

    rotation_id: int
    start: datetime.datetime
    end: datetime.datetime
    unavailability: Unavailability
    user: object = None
    team: object = None
    shift_id: int | None = None
    override_id: int | None = None


@dataclass
class ScheduleCheck:
    rotation: Rotation
    start: datetime.datetime
    end: datetime.datetime
    gaps: list[tuple] = field(default_factory=list)
    double_bookings: list[DoubleBooking] = field(default_factory=list)
    conflicts: list[LeaveConflict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.gaps or self.double_bookings or self.conflicts)


def schedule_check(*, rotation: Rotation, weeks: int = 4, now=None) -> ScheduleCheck:
    """Check the next ``weeks`` of one rotation."""
    return schedule_checks(rotations=[rotation], weeks=weeks, now=now)[0]


def schedule_checks(*, rotations=None, weeks: int = 4, now=None) -> list[ScheduleCheck]:
    """Check the next ``weeks`` of each rotation (default: all active ones) in a few queries."""
    start = now or timezone.now()
    end = start + datetime.timedelta(weeks=weeks)
    if rotations is None:
        rotations = list(Rotation.objects.filter(active=True).select_related("sprint_calendar"))
    duty = duty_for(rotations, start, end)
    segments = {pk: found.segments for pk, found in duty.items()}
    checks = []
    for rotation in rotations:
        check = ScheduleCheck(rotation=rotation, start=start, end=end)
        check.gaps = _gaps(rotation, duty[rotation.pk], start, end)
        checks.append(check)
    _overlaps(checks, start, end)
    _elsewhere(checks, segments, start, end)
    conflicts = _conflicts(rotations, segments)
    for check in checks:
        check.conflicts = conflicts[check.rotation.pk]
    return checks


def _gaps(rotation: Rotation, duty: Duty, start, end) -> list[tuple]:
    begin = max(start, SlotClock(rotation).boundary(0))
    if begin >= end:
        return []
    # Outside the restriction's windows (nights, weekends, holidays) nobody is due.
    windows = [(begin, end)] if duty.windows is None else duty.windows
    covered = [(s.start, s.end) for s in duty.segments if s.assignee_key is not None]
    gaps = []
    for s, e in windows:
        if e > begin:
            gaps += subtract(max(s, begin), e, covered)
    return gaps


def _overlaps(checks: list[ScheduleCheck], start, end) -> None:
    by_id = {check.rotation.pk: check for check in checks}
    rows = (
        Shift.objects.filter(rotation_id__in=by_id, start__lt=end, end__gt=start)
        .order_by("rotation_id", "start")
        .values_list("rotation_id", "pk", "start", "end")
    )
    last = {}
    for rotation_id, pk, s, e in rows:
        previous = last.get(rotation_id)
        if previous is not None and s < previous[2]:
            by_id[rotation_id].double_bookings.append(
                DoubleBooking(
                    "overlap", rotation_id, s, min(e, previous[2]), shift_ids=(previous[0], pk)
                )
            )
        if previous is None or e > previous[2]:
            last[rotation_id] = (pk, s, e)


def _elsewhere(checks: list[ScheduleCheck], segments, start, end) -> None:
    """Flag people on duty in two person rotations at once, each clash once.

    A clash is a longest span in which one person is on duty in both rotations of a pair; it
    goes to the check of whichever of the two comes first in ``checks``, naming the other.
    """
    people = [c for c in checks if c.rotation.kind == Rotation.Kind.PERSON]
    users = {seg.user.pk for c in people for seg in segments[c.rotation.pk] if seg.user}
    if not users:
        return
    other_ids = set(
        Shift.objects.filter(user_id__in=users, start__lt=end, end__gt=start).values_list(
            "rotation_id", flat=True
        )
    ) | set(
        Override.objects.filter(user_id__in=users, start__lt=end, end__gt=start).values_list(
            "rotation_id", flat=True
        )
    )
    others = {c.rotation.pk: c.rotation for c in checks}
    missing = other_ids - set(segments)
    if missing:
        others.update(
            {r.pk: r for r in Rotation.objects.filter(pk__in=missing, kind=Rotation.Kind.PERSON)}
        )
        segments = {
            **segments,
            **segments_for([others[pk] for pk in missing if pk in others], start, end),
        }
    duty = defaultdict(lambda: defaultdict(list))  # user id -> rotation id -> segments
    names = {}
    for pk, rotation in others.items():
        if rotation.kind != Rotation.Kind.PERSON:
            continue
        for seg in segments.get(pk, ()):
            if seg.user is not None and seg.user.pk in users:
                duty[seg.user.pk][pk].append(seg)
                names[seg.user.pk] = seg.user
    order = {c.rotation.pk: i for i, c in enumerate(people)}
    by_id = {c.rotation.pk: c for c in people}
    for user_id, held in duty.items():
        # Checked rotations first, in the checks' order: the first of a pair holds the clash.
        ids = sorted(held, key=lambda pk: (pk not in order, order.get(pk, 0), pk))
        for i, first in enumerate(ids):
            if first not in order:
                break
            for second in ids[i + 1 :]:
                both = intersection(
                    [(seg.start, seg.end) for seg in held[first]],
                    [(seg.start, seg.end) for seg in held[second]],
                )
                for clash_start, clash_end in both:
                    sources = sorted(
                        {
                            seg.shift_id
                            for seg in held[first] + held[second]
                            if seg.shift_id and seg.start < clash_end and seg.end > clash_start
                        }
                    )
                    by_id[first].double_bookings.append(
                        DoubleBooking(
                            "elsewhere",
                            first,
                            clash_start,
                            clash_end,
                            shift_ids=tuple(sources),
                            user=names[user_id],
                            other_rotation_id=second,
                            rotation=others[first],
                            other_rotation=others[second],
                        )
                    )
    for check in people:
        check.double_bookings.sort(key=lambda b: (b.start, b.end, b.kind, b.other_rotation_id or 0))


def _conflicts(rotations, segments) -> dict[int, list[LeaveConflict]]:
    result = {rotation.pk: [] for rotation in rotations}
    users, teams = set(), set()
    first, last = None, None
    for rotation in rotations:
        for seg in segments[rotation.pk]:
            if seg.user is not None:
                users.add(seg.user.pk)
            elif seg.team is not None:
                teams.add(seg.team.pk)
            first = seg.start if first is None else min(first, seg.start)
            last = seg.end if last is None else max(last, seg.end)
    if first is None:
        return result
    entries = defaultdict(list)
    for entry in Unavailability.objects.filter(
        Q(user_id__in=users) | Q(team_id__in=teams, kind=Unavailability.Kind.LEAVE),
        end_date__gte=first.date() - ONE_DAY,
        start_date__lte=last.date() + ONE_DAY,
    ):
        key = ("user", entry.user_id) if entry.user_id else ("team", entry.team_id)
        entries[key].append(entry)
    for rotation in rotations:
        tz = zone(rotation.timezone)
        for seg in segments[rotation.pk]:
            for entry in entries.get(seg.assignee_key, ()):
                away_start, away_end = date_span(entry.start_date, entry.end_date, tz)
                if away_start < seg.end and away_end > seg.start:
                    result[rotation.pk].append(
                        LeaveConflict(
                            rotation.pk,
                            max(seg.start, away_start),
                            min(seg.end, away_end),
                            entry,
                            user=seg.user,
                            team=seg.team,
                            shift_id=seg.shift_id,
                            override_id=seg.override_id,
                        )
                    )
    return result


def leave_conflicts(*, start, end, rotations=None) -> list[LeaveConflict]:
    """Return every stretch of duty within [start, end) that clashes with leave."""
    if rotations is None:
        rotations = list(Rotation.objects.filter(active=True))
    segments = segments_for(rotations, start, end)
    found = _conflicts(rotations, segments)
    return sorted((c for rotation in rotations for c in found[rotation.pk]), key=lambda c: c.start)
