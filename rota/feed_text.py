"""Compose a calendar feed's events from plain data: data in, FeedEvents out, no database.

A feed shows duty as the final schedule has it, not the rows underneath:

* each **part** of a shift its holder keeps is an event: a shift with a cover in the middle is
  two events, a business-hours week is one per day. The first part keeps the shift's UID
  (``shift-<id>@host``), the k-th part is ``shift-<id>-<k>@host``, so UIDs are deterministic and
  the event that was the whole shift is updated in place when a cover cuts it;
* a shift covered **in full** by someone else stays in the feed under its UID as a cancelled
  event (``STATUS:CANCELLED``), so calendar apps that had it mark it cancelled in place;
* each part of a **cover** is an event (``override-<id>@host``, ``override-<id>-<k>@host``) in the
  coverer's feed and in the team and rotation feeds, naming the rotation, its team, who is
  covered and a link.

Contacts: only a person's own feed names who hands over to each part and who takes over after
it, with their e-mail address; team and rotation feeds get shared, so they name nobody's
address. ``SEQUENCE`` is the row's sequence plus the feed owner's feed sequence.
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from .feeds import FeedEvent


@dataclass(frozen=True)
class Holder:
    """Who holds a row or a part: ``key`` is (user id, team id), the same for the same holder."""

    key: tuple
    label: str  # the person's full name (else username), the team's name, or "nobody"
    email: str = ""  # the person's address; "" for a team or nobody

    @property
    def is_somebody(self) -> bool:
        return self.key != (None, None)


@dataclass(frozen=True)
class DutyRotation:
    id: int
    name: str
    is_team: bool  # a rotation of teams taking support shifts (else of people)
    kind_label: str  # "person rotation", "team rotation" (as the rotation's kind is shown)
    role_label: str  # "primary", "secondary", ...
    timezone: str  # IANA name the feed shows its times in
    team_name: str = ""  # "" when the rotation belongs to no team
    team_slug: str = ""


@dataclass(frozen=True)
class DutyRow:
    """A shift or a cover as stored, with what the feed's owner decides about it."""

    id: int
    rotation_id: int
    start: datetime.datetime
    end: datetime.datetime
    holder: Holder
    sequence: int
    updated_at: datetime.datetime
    created_at: datetime.datetime
    link: str  # absolute URL of the page the event links to
    shown: bool = True  # the feed shows this duty (its owner's, or everyone's)
    busy: bool = False  # the event blocks the owner's time
    team_name: str = ""  # the team holding a support shift; "" for a person's duty
    edited: bool = False  # a shift changed by hand
    reason: str = ""  # a cover's reason


@dataclass(frozen=True)
class DutyPart:
    """One segment of the final schedule: who is on duty from start to end, and from what."""

    start: datetime.datetime
    end: datetime.datetime
    source: str  # "shift-<id>" or "override-<id>"
    holder: Holder

    @property
    def is_override(self) -> bool:
        return self.source.startswith("override-")


def _fmt(value: datetime.datetime, zone: str) -> str:
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return local.strftime("%a %d %b %Y %H:%M %Z")


def _span(start, end, zone: str) -> str:
    return f"from {_fmt(start, zone)} to {_fmt(end, zone)}"


def names(labels) -> str:
    """Join names as people write them: "A", "A and B", "A, B and C"."""
    labels = list(labels)
    if len(labels) < 2:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def _contact(holder: Holder) -> str:
    return f"{holder.label} <{holder.email}>" if holder.email else holder.label


class _Writer:
    """Turns one feed's shifts, covers and final schedule into events."""

    def __init__(self, *, shifts, overrides, schedule, personal, host, sequence_offset):
        self.personal = personal
        self.host = host
        self.sequence_offset = sequence_offset
        self.shifts = defaultdict(list)
        for shift in shifts:
            self.shifts[shift.rotation_id].append(shift)
        self.overrides = defaultdict(list)
        for override in overrides:
            self.overrides[override.rotation_id].append(override)
        self.schedule = schedule

    def events(self, rotations) -> list[FeedEvent]:
        found = []
        for rotation in rotations:
            parts = self.schedule.get(rotation.id, [])
            held = defaultdict(list)
            for part in parts:
                held[part.source].append(part)
            around = ({p.start: p for p in parts}, {p.end: p for p in parts})
            covers = [p for p in parts if p.is_override]  # few: checked against every shift
            for shift in self.shifts[rotation.id]:
                if shift.shown:
                    found += self._shift(rotation, shift, held, covers, around)
            for override in self.overrides[rotation.id]:
                if override.shown:
                    found += self._cover(rotation, override, held, around)
        return found

    # --- shifts ------------------------------------------------------------------------

    def _shift(self, rotation, shift, held, covers, around) -> list[FeedEvent]:
        parts = held.get(f"shift-{shift.id}", [])
        covers = [
            p
            for p in covers
            if p.start < shift.end and p.end > shift.start and p.holder.key != shift.holder.key
        ]
        zone = rotation.timezone
        cover_lines = [f"Covered by {p.holder.label} {_span(p.start, p.end, zone)}" for p in covers]
        if not parts:
            if not covers:
                return []  # wholly outside the rotation's hours: no duty to show
            lines = [
                *self._rotation_lines(rotation),
                f"Planned for {shift.holder.label} {_span(shift.start, shift.end, zone)}",
                *cover_lines,
                "Covered in full: not on duty.",
            ]
            summary = f"Covered: {self._shift_summary(rotation, shift)}"
            return [
                self._event(
                    rotation,
                    shift,
                    uid=self._uid(f"shift-{shift.id}", 1),
                    start=shift.start,
                    end=shift.end,
                    summary=summary,
                    lines=lines,
                    status="CANCELLED",
                )
            ]
        events = []
        for number, part in enumerate(parts, start=1):
            lines = [*self._rotation_lines(rotation), f"On duty: {shift.holder.label}"]
            lines.append(f"From {_fmt(part.start, zone)} to {_fmt(part.end, zone)}")
            if len(parts) > 1 or covers:
                lines.append(
                    f"Part {number} of {len(parts)} of the shift "
                    f"{_span(shift.start, shift.end, zone)}"
                )
            lines += self._partners(part, around)
            lines += cover_lines
            if shift.edited:
                lines.append("Changed by hand in Rota.")
            events.append(
                self._event(
                    rotation,
                    shift,
                    uid=self._uid(f"shift-{shift.id}", number),
                    start=part.start,
                    end=part.end,
                    summary=self._shift_summary(rotation, shift),
                    lines=lines,
                )
            )
        return events

    def _shift_summary(self, rotation, shift) -> str:
        if rotation.is_team:
            summary = f"{shift.team_name or 'Nobody'} on support"
            return f"[Team support] {summary}" if self.personal else summary
        if self.personal:
            return f"On call: {rotation.name} ({rotation.role_label})"
        return f"{shift.holder.label} on call ({rotation.role_label})"

    # --- covers ------------------------------------------------------------------------

    def _cover(self, rotation, override, held, around) -> list[FeedEvent]:
        parts = held.get(f"override-{override.id}", [])
        zone = rotation.timezone
        who = override.holder.label
        events = []
        for number, part in enumerate(parts, start=1):
            covered = sorted(
                {
                    shift.holder.label
                    for shift in self.shifts[rotation.id]
                    if shift.start < part.end
                    and shift.end > part.start
                    and shift.holder.is_somebody
                    and shift.holder.key != override.holder.key
                }
            )
            lines = [*self._rotation_lines(rotation), f"Cover by: {who}"]
            if covered:
                lines.append(f"Covering for: {', '.join(covered)}")
            lines.append(f"From {_fmt(part.start, zone)} to {_fmt(part.end, zone)}")
            if override.reason:
                lines.append(f"Reason: {override.reason}")
            lines += self._partners(part, around)
            events.append(
                self._event(
                    rotation,
                    override,
                    uid=self._uid(f"override-{override.id}", number),
                    start=part.start,
                    end=part.end,
                    summary=self._cover_summary(rotation, override, who, covered),
                    lines=lines,
                    categories=("Cover",),
                )
            )
        return events

    def _cover_summary(self, rotation, override, who, covered) -> str:
        """Say who covers whom where: "Covering Alice Martin — Payments on call (team payments)".

        The coverer is left out of their own feed; shared feeds start with them.
        """
        whom = f" {names(covered)}" if covered else ""
        where = rotation.name
        if rotation.team_slug:
            where += f" (team {rotation.team_slug})"
        if not self.personal:
            return f"{who} covering{whom} — {where}"
        if override.team_name:
            return f"[Team support] {who} covering{whom} — {where}"
        return f"Covering{whom} — {where}"

    # --- shared ------------------------------------------------------------------------

    def _rotation_lines(self, rotation) -> list[str]:
        lines = [f"Rotation: {rotation.name} ({rotation.kind_label}, {rotation.role_label})"]
        if rotation.team_name:
            lines.append(f"Team: {rotation.team_name}")
        return lines

    def _partners(self, part, around) -> list[str]:
        """Name who hands over to this part and who takes over after it (own feed only)."""
        if not self.personal:
            return []
        starting, ending = around
        lines = []
        previous, following = ending.get(part.start), starting.get(part.end)
        if previous is not None and previous.source != part.source:
            lines.append(f"Takes over from: {_contact(previous.holder)}")
        if following is not None and following.source != part.source:
            lines.append(f"Hands over to: {_contact(following.holder)}")
        return lines

    def _uid(self, source: str, number: int) -> str:
        return f"{source}@{self.host}" if number == 1 else f"{source}-{number}@{self.host}"

    def _event(
        self, rotation, row, *, uid, start, end, summary, lines, status="CONFIRMED", categories=None
    ) -> FeedEvent:
        if categories is None:
            categories = ("Team support",) if rotation.is_team else ("On call",)
        return FeedEvent(
            uid=uid,
            start=start,
            end=end,
            summary=summary,
            timezone=rotation.timezone,
            description="\n".join([*lines, row.link]),
            url=row.link,
            # The owner's feed sequence rises when they change their busy preference.
            sequence=row.sequence + self.sequence_offset,
            stamp=row.updated_at,
            created=row.created_at,
            categories=categories,
            status=status,
            busy=row.busy,
        )


def compose_events(
    *,
    rotations,
    shifts,
    overrides,
    schedule,
    personal: bool,
    host: str,
    sequence_offset: int = 0,
) -> list[FeedEvent]:
    """Return a feed's events, sorted by start then UID.

    ``rotations`` are DutyRotations; ``shifts`` and ``overrides`` DutyRows, every row of those
    rotations (neighbours describe a duty too), ``shown`` marking the feed's own; ``schedule``
    maps rotation id to its final schedule as DutyParts. ``personal`` is true for a person's
    own feed (summaries from their side, hand-over contacts); ``host`` ends every UID.
    """
    writer = _Writer(
        shifts=shifts,
        overrides=overrides,
        schedule=schedule,
        personal=personal,
        host=host,
        sequence_offset=sequence_offset,
    )
    events = writer.events(sorted(rotations, key=lambda r: r.id))
    events.sort(key=lambda event: (event.start, event.uid))
    return events
