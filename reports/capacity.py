"""Reads of teams' capacity: their settings, and the buffer left in the sprint under way.

The buffer figures are the support load report's (``reports.load``) for the current sprint,
so a team page, the capacity API and the buffer alerts never disagree with the report.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from core.timeutil import zone
from ownership.models import Team

from .load import support_load
from .models import TeamCapacity
from .selectors import report_cadence, report_data


@dataclass(frozen=True)
class BufferNow:
    """One team's support load against its buffer in the sprint under way at ``at``."""

    team_id: int
    team: str  # slug
    team_name: str
    sprint: int
    first_day: datetime.date
    last_day: datetime.date
    start: datetime.datetime  # when the sprint began (UTC)
    at: datetime.datetime
    buffer_percent: int
    capacity_hours: float
    buffer_hours: float
    support_hours: float
    used_percent: float | None  # None when the buffer is 0 hours

    @property
    def left_hours(self) -> float:
        """Return the buffer hours not used yet (negative once the buffer is overrun)."""
        return round(self.buffer_hours - self.support_hours, 2)

    @property
    def over_hours(self) -> float:
        """Return by how many hours support work overran the buffer (0 within it)."""
        return max(0.0, -self.left_hours)

    @property
    def left_percent(self) -> float | None:
        """Return the share of the buffer not used yet, in percent (negative when overrun)."""
        if self.used_percent is None:
            return None
        return round(100.0 - self.used_percent, 1)


def team_capacity_get(*, team: Team) -> TeamCapacity:
    """Return the team's capacity settings; the defaults, unsaved, if it never set any."""
    found = TeamCapacity.objects.filter(team=team).first()
    return found or TeamCapacity(team=team)


def buffers_now(
    *, now: datetime.datetime | None = None, team: Team | None = None
) -> dict[int, BufferNow]:
    """Return each team's (or only ``team``'s) buffer in the current sprint, by team id.

    The sprint is that of the report's sprint calendar (the one most rotations use) at
    ``now``; the figures are the load report's for that sprint, counted up to ``now``. A
    fixed number of queries, whatever the number of teams, incidents or bugs.
    """
    now = now or timezone.now()
    cadence = report_cadence()
    today = now.astimezone(zone(cadence.timezone)).date()
    data = report_data(
        first_day=today, last_day=today, team=team, whole_sprints=True, now=now, cadence=cadence
    )
    current = data.cadence.number_at(now)
    sprint = data.cadence.sprint(current)
    by_slug = {info.slug: info for info in data.teams.values()}
    found = {}
    for row in support_load(data).rows:
        if row.sprint != current:
            continue
        info = by_slug[row.team]
        found[info.id] = BufferNow(
            team_id=info.id,
            team=row.team,
            team_name=row.team_name,
            sprint=row.sprint,
            first_day=row.first_day,
            last_day=row.last_day,
            start=sprint.start,
            at=now,
            buffer_percent=row.buffer_percent,
            capacity_hours=row.capacity_hours,
            buffer_hours=row.buffer_hours,
            support_hours=row.support_hours,
            used_percent=row.buffer_used_percent,
        )
    return found


def buffer_now(*, team: Team, now: datetime.datetime | None = None) -> BufferNow | None:
    """Return ``team``'s buffer in the current sprint (None if the team is not reported on)."""
    return buffers_now(now=now, team=team).get(team.pk)
