"""Duty as people live it, read from the final schedule: pieces, parts and handovers.

The final schedule (:mod:`rota.selectors.schedule`) cuts a rotation into segments: a shift
minus the covers over it, clipped to the rotation's restricted hours, and each cover. Its
consumers (reminders, handoff messages, calendar feeds) need a few views of those segments
that are built here and nowhere else:

* a **piece** is a stretch of one shift or one cover that nobody else interrupts: its segments
  in a row, separated at most by the rotation's off-hours. A shift with a cover in the middle
  is two pieces for its holder; a business-hours week is one piece of five segments.
* a **handover** at an instant names who holds the rotation just before and from then on,
  looking across off-hours (Friday 17:00 to Monday 09:00 of a business-hours rotation is one
  handover), but not across a real gap in the rota.
"""

import datetime
from dataclasses import dataclass

from ..models import Rotation
from .schedule import Segment, restriction_windows

# The longest stretch of off-hours between two windows of a restricted rotation (a weekend,
# from Friday's close to Monday's opening, is under three days). Looking this far back is
# enough to tell whether a segment starts a piece or carries one on after the night.
LOOKBACK = datetime.timedelta(days=4)


def source_of(segment: Segment) -> str:
    """Name what a segment comes from: "shift-12" or "override-3"."""
    if segment.override_id is not None:
        return f"override-{segment.override_id}"
    return f"shift-{segment.shift_id}"


@dataclass(frozen=True)
class Piece:
    """One stretch of a shift or a cover that its holder keeps without interruption."""

    rotation_id: int
    source: str
    start: datetime.datetime
    end: datetime.datetime
    team: object = None
    user: object = None
    shift_id: int | None = None
    override_id: int | None = None
    spans: tuple = ()  # the (start, end) segments it is made of, in time order

    @property
    def team_id(self) -> int | None:
        return self.team.pk if self.team is not None else None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None


def pieces(segments: list[Segment]) -> list[Piece]:
    """Return one rotation's time-ordered segments grouped into pieces, in time order."""
    found: list[Piece] = []
    run: list[Segment] = []

    def close():
        if run:
            first = run[0]
            found.append(
                Piece(
                    rotation_id=first.rotation_id,
                    source=source_of(first),
                    start=first.start,
                    end=run[-1].end,
                    team=first.team,
                    user=first.user,
                    shift_id=first.shift_id,
                    override_id=first.override_id,
                    spans=tuple((s.start, s.end) for s in run),
                )
            )

    for segment in segments:
        if run and source_of(run[-1]) != source_of(segment):
            close()
            run = []
        run.append(segment)
    close()
    return found


def _off_hours(rotation: Rotation, start, end) -> bool:
    """Return whether [start, end) lies wholly outside the rotation's restricted hours."""
    if end <= start:
        return True
    return restriction_windows(rotation, start, end) == []


def handover(
    rotation: Rotation, segments: list[Segment], at: datetime.datetime
) -> tuple[Segment | None, Segment | None]:
    """Return the segments (outgoing, incoming) of one rotation around instant ``at``.

    Incoming is the segment in force at ``at``, else the next one if only off-hours lie
    between; outgoing is the segment in force just before ``at``, else the last one if only
    off-hours lie between. When one segment spans ``at`` it is both: nothing changes hands.
    ``segments`` are the rotation's final schedule around ``at``, in time order.
    """
    incoming = outgoing = None
    for segment in segments:
        if segment.start <= at < segment.end:
            incoming = segment
            break
        if segment.start > at:
            if _off_hours(rotation, at, segment.start):
                incoming = segment
            break
    for segment in reversed(segments):
        if segment.start < at <= segment.end:
            outgoing = segment
            break
        if segment.end < at:
            if _off_hours(rotation, segment.end, at):
                outgoing = segment
            break
    return outgoing, incoming


def holder_label(segment_or_piece) -> str:
    """Name who holds a segment or piece: the person, the team, or "nobody"."""
    user, team = segment_or_piece.user, segment_or_piece.team
    if user is not None:
        return user.get_full_name() or user.get_username()
    if team is not None:
        return team.name
    return "nobody"


def same_holder(a, b) -> bool:
    """Return whether two segments or pieces have the same assignee (both None counts)."""
    return (a.user.pk if a.user else None, a.team.pk if a.team else None) == (
        b.user.pk if b.user else None,
        b.team.pk if b.team else None,
    )
