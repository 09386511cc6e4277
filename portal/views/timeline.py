"""The rota as a picture: a row per rotation, a block per stretch of duty, gaps marked."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from core.timeutil import ONE_DAY, start_of_day
from rota.models import Rotation
from rota.selectors import segments_for
from rota.selectors.checks import schedule_checks

PALETTE_SIZE = 10  # colours .c0 to .c9 in site.css
DEFAULT_WEEKS = 4
MAX_WEEKS = 12


@dataclass(frozen=True)
class Block:
    start: datetime.datetime
    end: datetime.datetime
    left: float  # percent of the timeline's width
    width: float
    label: str
    kind: str  # "duty", "override" or "gap"
    colour: str = ""


@dataclass(frozen=True)
class Day:
    date: datetime.date
    left: float
    width: float
    today: bool
    weekend: bool


@dataclass(frozen=True)
class Week:
    date: datetime.date
    left: float
    width: float


@dataclass
class Row:
    rotation: Rotation
    blocks: list[Block] = field(default_factory=list)
    gaps: list[Block] = field(default_factory=list)
    conflicts: list = field(default_factory=list)


@dataclass
class Timeline:
    start: datetime.datetime
    end: datetime.datetime
    weeks: int
    days: list[Day]
    week_starts: list[Week]
    now_left: float | None
    rows: list[Row]


def rotations_of_team(team):
    """Return the active rotations a team's page shows, team rotations first."""
    return (
        Rotation.objects.filter(
            Q(team=team, kind=Rotation.Kind.PERSON)
            | Q(kind=Rotation.Kind.TEAM, participants__team=team)
            | Q(follows_team_rotation__participants__team=team),
            active=True,
        )
        .select_related("team", "sprint_calendar", "follows_team_rotation")
        .distinct()
        .order_by("-kind", "name", "id")
    )


def colour_of(team=None, user=None) -> str:
    """Return a stable colour class per assignee, the same on every page."""
    if team is not None:
        return f"c{(team.pk * 7 + 3) % PALETTE_SIZE}"
    if user is not None:
        return f"c{user.pk % PALETTE_SIZE}"
    return ""


def _name(segment) -> str:
    if segment.user is not None:
        return segment.user.get_full_name() or segment.user.username
    if segment.team is not None:
        return segment.team.name
    return "nobody"


def build_timeline(*, rotations, tz, weeks=DEFAULT_WEEKS, now=None) -> Timeline:
    """Lay out ``weeks`` of the rotations from the start of this week (Monday) in ``tz``."""
    now = now or timezone.now()
    today = now.astimezone(tz).date()
    start = start_of_day(today - datetime.timedelta(days=today.weekday()), tz)
    end = start_of_day(today - datetime.timedelta(days=today.weekday()) + weeks * 7 * ONE_DAY, tz)
    span = (end - start).total_seconds()

    def x(instant) -> float:
        return round(max(0.0, min(1.0, (instant - start).total_seconds() / span)) * 100, 3)

    days, week_starts, day = [], [], start.astimezone(tz).date()
    while start_of_day(day, tz) < end:
        left, right = x(start_of_day(day, tz)), x(start_of_day(day + ONE_DAY, tz))
        days.append(Day(day, left, right - left, day == today, day.weekday() >= 5))
        if day.weekday() == 0:
            week_end = x(start_of_day(day + 7 * ONE_DAY, tz))
            week_starts.append(Week(day, left, week_end - left))
        day += ONE_DAY
    rotations = list(rotations)
    segments = segments_for(rotations, start, end)
    # Gaps from now on: what is past cannot be staffed any more.
    checks = schedule_checks(rotations=rotations, now=now, weeks=weeks)
    checks = {check.rotation.pk: check for check in checks}
    rows = []
    for rotation in rotations:
        row = Row(rotation=rotation)
        for seg in segments[rotation.pk]:
            if seg.assignee_key is None:
                continue
            row.blocks.append(
                Block(
                    seg.start,
                    seg.end,
                    x(seg.start),
                    x(seg.end) - x(seg.start),
                    _name(seg),
                    "override" if seg.is_override else "duty",
                    colour_of(seg.team, seg.user),
                )
            )
        check = checks.get(rotation.pk)
        if check is not None:
            for gap_start, gap_end in check.gaps:
                if gap_start >= end:
                    continue
                row.gaps.append(
                    Block(
                        gap_start,
                        gap_end,
                        x(gap_start),
                        x(gap_end) - x(gap_start),
                        "nobody on duty",
                        "gap",
                    )
                )
            row.conflicts = check.conflicts
        rows.append(row)
    now_left = x(now) if start <= now < end else None
    return Timeline(start, end, weeks, days, week_starts, now_left, rows)
