"""The boundaries of a rotation's turns ("slots"), before anyone is assigned to them.

Slot ``k`` (k >= 0) starts at boundary ``k`` and ends at boundary ``k + 1``:

* days and weeks: ``start_date + k * length`` at the handoff time, local to the rotation;
* sprints: the start date of every ``count``-th sprint of the calendar, from the first sprint
  that starts on or after ``start_date``, at the handoff time;
* hours: the wall-clock time ``start_date`` + handoff time + ``k * count`` hours.

Local times become instants with :func:`core.timeutil.local_to_utc`, so handoffs keep their
local time across DST and slots are contiguous. A slot that the DST rule shrinks to nothing
(an hour-long turn inside a spring-forward gap) is skipped.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from core.timeutil import local_to_utc, zone

from .models import Rotation


@dataclass(frozen=True)
class Slot:
    index: int
    start: datetime.datetime
    end: datetime.datetime


class SlotClock:
    """Compute slot boundaries of one rotation; cheap, pure arithmetic, no queries."""

    def __init__(self, rotation: Rotation):
        self.tz = zone(rotation.timezone)
        self.unit = rotation.shift_length_unit
        self.count = rotation.shift_length_count
        self.handoff = rotation.handoff_time
        self.start_date = rotation.start_date
        self.calendar = rotation.sprint_calendar if rotation.is_sprint_based else None
        if self.calendar is not None:
            self.first_sprint = self.calendar.first_sprint_from(self.start_date)

    def _local(self, index: int) -> datetime.datetime:
        if self.unit == Rotation.Unit.HOURS:
            base = datetime.datetime.combine(self.start_date, self.handoff)
            return base + datetime.timedelta(hours=index * self.count)
        if self.unit == Rotation.Unit.SPRINTS:
            day = self.calendar.sprint_start(self.first_sprint + index * self.count)
        else:
            days = self.count * (7 if self.unit == Rotation.Unit.WEEKS else 1)
            day = self.start_date + datetime.timedelta(days=index * days)
        return datetime.datetime.combine(day, self.handoff)

    def boundary(self, index: int) -> datetime.datetime:
        """Return the UTC instant at which slot ``index`` starts."""
        return local_to_utc(self._local(index), self.tz)

    def index_at(self, instant: datetime.datetime) -> int:
        """Return the index of the slot containing ``instant`` (-1 before the first slot)."""
        local = instant.astimezone(self.tz).replace(tzinfo=None)
        if self.unit == Rotation.Unit.HOURS:
            base = datetime.datetime.combine(self.start_date, self.handoff)
            guess = int((local - base) // datetime.timedelta(hours=self.count))
        elif self.unit == Rotation.Unit.SPRINTS:
            sprint = self.calendar.sprint_number(local.date())
            guess = (sprint - self.first_sprint) // self.count
        else:
            days = self.count * (7 if self.unit == Rotation.Unit.WEEKS else 1)
            guess = (local.date() - self.start_date).days // days
        guess = max(guess, -1)
        while guess >= 0 and self.boundary(guess) > instant:
            guess -= 1
        while self.boundary(guess + 1) <= instant:
            guess += 1
        return guess

    def slots(self, first: int, until: datetime.datetime) -> Iterator[Slot]:
        """Yield the non-empty slots from index ``first`` that start before ``until``."""
        index = max(first, 0)
        start = self.boundary(index)
        while start < until:
            end = self.boundary(index + 1)
            if end > start:
                yield Slot(index, start, end)
                start = end
            index += 1
