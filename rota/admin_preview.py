"""The preview of a rotation's coming weeks on its admin page: who is on duty when.

Rows come from the final schedule (shifts with overrides applied, restrictions honoured),
with the gaps in between and warnings for leave and double bookings attached to the rows they
concern. Times are shown in the rotation's time zone.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from core.timeutil import zone

from . import selectors
from .models import Rotation, Shift

User = get_user_model()

SHIFT, OVERRIDE, GAP = "shift", "override", "gap"


@dataclass
class PreviewRow:
    start: datetime.datetime  # local to the rotation
    end: datetime.datetime
    kind: str  # shift, override or gap
    who: str = ""
    shift_id: int | None = None
    override_id: int | None = None
    edited: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return self.kind == GAP

    @property
    def length(self) -> str:
        minutes = round((self.end - self.start).total_seconds() / 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [(days, "d"), (hours, "h"), (minutes, "min")]
        return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 min"


@dataclass
class Preview:
    rotation: Rotation
    weeks: int
    start: datetime.datetime
    end: datetime.datetime
    rows: list[PreviewRow]
    warnings: list[str]  # not tied to one row
    gaps: int
    conflicts: int
    double_bookings: int

    @property
    def ok(self) -> bool:
        return not (self.gaps or self.conflicts or self.double_bookings)


def _who(segment) -> str:
    if segment.team is not None:
        return segment.team.name
    if segment.user is not None:
        return _person(segment.user)
    return ""


def _person(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def _day(instant, tz) -> str:
    return instant.astimezone(tz).strftime("%a %d %b %H:%M")


def rotation_preview(*, rotation: Rotation, weeks: int = 4, now=None) -> Preview:
    """Return the final schedule of the next ``weeks``, gaps and warnings included."""
    tz = zone(rotation.timezone)
    check = selectors.schedule_check(rotation=rotation, weeks=weeks, now=now)
    segments = selectors.final_schedule(rotation=rotation, start=check.start, end=check.end)
    shift_ids = {s.shift_id for s in segments if s.shift_id}
    edited = set(Shift.objects.filter(pk__in=shift_ids, edited=True).values_list("pk", flat=True))
    rows = [
        PreviewRow(
            start=s.start.astimezone(tz),
            end=s.end.astimezone(tz),
            kind=OVERRIDE if s.is_override else SHIFT,
            who=_who(s) or "Unassigned",
            shift_id=s.shift_id,
            override_id=s.override_id,
            edited=s.shift_id in edited,
        )
        for s in segments
    ]
    rows += [
        PreviewRow(start=s.astimezone(tz), end=e.astimezone(tz), kind=GAP, who="Nobody on duty")
        for s, e in check.gaps
    ]
    rows.sort(key=lambda row: (row.start, row.end))

    loose = []
    for conflict in check.conflicts:
        entry = conflict.unavailability
        who = _person(conflict.user) if conflict.user else str(conflict.team)
        reason = f": {entry.reason}" if entry.reason else ""
        text = (
            f"{who} is away {entry.start_date:%a %d %b} - {entry.end_date:%a %d %b} "
            f"({entry.get_kind_display()}{reason}) but on duty "
            f"{_day(conflict.start, tz)} - {_day(conflict.end, tz)}."
        )
        source = (conflict.shift_id, conflict.override_id)
        _attach(rows, loose, text, conflict.start, conflict.end, source)
    others = dict(
        Rotation.objects.filter(
            pk__in={b.other_rotation_id for b in check.double_bookings if b.other_rotation_id}
        ).values_list("pk", "name")
    )
    overlapping = {pk for b in check.double_bookings for pk in b.shift_ids}
    holders = {
        shift.pk: _who(shift) or "nobody"
        for shift in Shift.objects.filter(pk__in=overlapping).select_related("user", "team")
    }
    for booking in check.double_bookings:
        span = f"{_day(booking.start, tz)} - {_day(booking.end, tz)}"
        if booking.kind == "overlap":
            names = [holders.get(pk, "a deleted shift") for pk in booking.shift_ids]
            listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
            text = f"The shifts of {listed} overlap {span}."
        else:
            other = others.get(booking.other_rotation_id, f"#{booking.other_rotation_id}")
            text = f"{_person(booking.user)} is also on duty in {other} {span}."
        _attach(rows, loose, text, booking.start, booking.end, None)
    return Preview(
        rotation=rotation,
        weeks=weeks,
        start=check.start.astimezone(tz),
        end=check.end.astimezone(tz),
        rows=rows,
        warnings=loose,
        gaps=len(check.gaps),
        conflicts=len(check.conflicts),
        double_bookings=len(check.double_bookings),
    )


def _attach(rows, loose, text, start, end, source) -> None:
    """Add ``text`` to the first row overlapping [start, end) (from ``source`` if given).

    ``source`` is a (shift id, override id) pair naming where the duty comes from.
    """
    for row in rows:
        if row.is_gap or row.start >= end or row.end <= start:
            continue
        if source is not None and (row.shift_id, row.override_id) != source:
            continue
        row.warnings.append(text)
        return
    loose.append(text)
