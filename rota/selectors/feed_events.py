"""The calendar events of a feed, read from the final schedule.

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

``SEQUENCE`` is the shift's (or the cover's) sequence, which the services raise on every edit,
on every cover added, moved or removed over the shift, when the rotation's hours change and
when a team holiday switches a restricted rotation over it (``team_holidays_touch``), plus
the feed owner's feed sequence, which rises when they change their busy preference.
Events leave time free unless the owner asked for busy, and then only their own duty is busy.
"""

import datetime
import zoneinfo
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from ..feeds import FeedEvent
from ..models import FeedToken, Rotation
from .duty import holder_label, same_holder, source_of


def _fmt(value: datetime.datetime, zone: str) -> str:
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return local.strftime("%a %d %b %Y %H:%M %Z")


def _span(start, end, zone: str) -> str:
    return f"from {_fmt(start, zone)} to {_fmt(end, zone)}"


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


class _Writer:
    """Turns one feed's shifts, covers and final schedule into events."""

    def __init__(self, scope, shifts, overrides, schedule):
        self.scope = scope
        self.personal = scope.token.kind == FeedToken.Kind.PERSON
        self.shifts = defaultdict(list)
        for shift in shifts:
            self.shifts[shift.rotation_id].append(shift)
        self.overrides = defaultdict(list)
        for override in overrides:
            self.overrides[override.rotation_id].append(override)
        self.schedule = schedule
        self.host = urlsplit(settings.SITE_URL).hostname or "rota"
        self.links = {}  # reverse() is slow enough to matter over hundreds of events

    def events(self, rotations) -> list[FeedEvent]:
        found = []
        for rotation in rotations:
            segments = self.schedule.get(rotation.pk, [])
            held = defaultdict(list)
            for segment in segments:
                held[source_of(segment)].append(segment)
            starting = {s.start: s for s in segments}
            ending = {s.end: s for s in segments}
            around = (starting, ending)
            covers = [s for s in segments if s.is_override]  # few: checked against every shift
            for shift in self.shifts[rotation.pk]:
                if self.scope.shows(rotation, shift.team_id, shift.user_id):
                    found += self._shift(rotation, shift, held, covers, around)
            for override in self.overrides[rotation.pk]:
                if self.scope.shows(rotation, override.team_id, override.user_id):
                    found += self._cover(rotation, override, held, around)
        return found

    # --- shifts ------------------------------------------------------------------------

    def _shift(self, rotation, shift, held, covers, around) -> list[FeedEvent]:
        parts = held.get(f"shift-{shift.pk}", [])
        covers = [
            s
            for s in covers
            if s.start < shift.end and s.end > shift.start and not same_holder(s, shift)
        ]
        zone = rotation.timezone
        cover_lines = [
            f"Covered by {holder_label(s)} {_span(s.start, s.end, zone)}" for s in covers
        ]
        if not parts:
            if not covers:
                return []  # wholly outside the rotation's hours: no duty to show
            lines = [
                *self._rotation_lines(rotation),
                f"Planned for {holder_label(shift)} {_span(shift.start, shift.end, zone)}",
                *cover_lines,
                "Covered in full: not on duty.",
            ]
            return [
                self._event(
                    rotation,
                    shift,
                    uid=self._uid(f"shift-{shift.pk}", 1),
                    start=shift.start,
                    end=shift.end,
                    summary=f"Covered: {self._shift_summary(rotation, shift)}",
                    lines=lines,
                    link_team=self._link_team(rotation, shift),
                    status="CANCELLED",
                )
            ]
        events = []
        for number, part in enumerate(parts, start=1):
            lines = [*self._rotation_lines(rotation), f"On duty: {holder_label(shift)}"]
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
                    uid=self._uid(f"shift-{shift.pk}", number),
                    start=part.start,
                    end=part.end,
                    summary=self._shift_summary(rotation, shift),
                    lines=lines,
                    link_team=self._link_team(rotation, shift),
                )
            )
        return events

    def _shift_summary(self, rotation, shift) -> str:
        role = rotation.get_role_display().lower()
        if rotation.kind == Rotation.Kind.TEAM:
            summary = f"{shift.team.name if shift.team_id else 'Nobody'} on support"
            return f"[Team support] {summary}" if self.personal else summary
        if self.personal:
            return f"On call: {rotation.name} ({role})"
        return f"{holder_label(shift)} on call ({role})"

    # --- covers ------------------------------------------------------------------------

    def _cover(self, rotation, override, held, around) -> list[FeedEvent]:
        parts = held.get(f"override-{override.pk}", [])
        zone = rotation.timezone
        who = holder_label(override)
        events = []
        for number, part in enumerate(parts, start=1):
            covered = sorted(
                {
                    holder_label(shift)
                    for shift in self.shifts[rotation.pk]
                    if shift.start < part.end
                    and shift.end > part.start
                    and (shift.user_id or shift.team_id)
                    and not same_holder(shift, override)
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
                    uid=self._uid(f"override-{override.pk}", number),
                    start=part.start,
                    end=part.end,
                    summary=self._cover_summary(rotation, override, who, covered),
                    lines=lines,
                    link_team=self._link_team(rotation, override),
                    categories=("Cover",),
                )
            )
        return events

    def _cover_summary(self, rotation, override, who, covered) -> str:
        """Say who covers whom where: "Covering Alice Martin — Payments on call (team payments)".

        The coverer is left out of their own feed; shared feeds start with them.
        """
        whom = f" {_names(covered)}" if covered else ""
        where = rotation.name
        if rotation.team_id:
            where += f" (team {rotation.team.slug})"
        if not self.personal:
            return f"{who} covering{whom} — {where}"
        if override.team_id:
            return f"[Team support] {who} covering{whom} — {where}"
        return f"Covering{whom} — {where}"

    # --- shared ------------------------------------------------------------------------

    def _rotation_lines(self, rotation) -> list[str]:
        lines = [
            f"Rotation: {rotation.name} ({rotation.get_kind_display().lower()}, "
            f"{rotation.get_role_display().lower()})"
        ]
        if rotation.team_id:
            lines.append(f"Team: {rotation.team.name}")
        return lines

    def _partners(self, part, around) -> list[str]:
        """Name who hands over to this part and who takes over after it (own feed only)."""
        if not self.personal:
            return []
        starting, ending = around
        lines = []
        previous, following = ending.get(part.start), starting.get(part.end)
        if previous is not None and source_of(previous) != source_of(part):
            lines.append(f"Takes over from: {holder_label(previous)}{_email(previous)}")
        if following is not None and source_of(following) != source_of(part):
            lines.append(f"Hands over to: {holder_label(following)}{_email(following)}")
        return lines

    def _link_team(self, rotation, row):
        if rotation.kind == Rotation.Kind.TEAM and row.team_id:
            return row.team
        return rotation.team

    def _uid(self, source: str, number: int) -> str:
        return f"{source}@{self.host}" if number == 1 else f"{source}-{number}@{self.host}"

    def _event(
        self,
        rotation,
        row,
        *,
        uid,
        start,
        end,
        summary,
        lines,
        link_team,
        status="CONFIRMED",
        categories=None,
    ) -> FeedEvent:
        key = link_team.pk if link_team else None
        url = self.links.get(key)
        if url is None:
            url = _link(link_team.get_absolute_url() if link_team else reverse("home"))
            self.links[key] = url
        if categories is None:
            team_support = rotation.kind == Rotation.Kind.TEAM
            categories = ("Team support",) if team_support else ("On call",)
        return FeedEvent(
            uid=uid,
            start=start,
            end=end,
            summary=summary,
            timezone=rotation.timezone,
            description="\n".join([*lines, url]),
            url=url,
            # The owner's feed sequence rises when they change their busy preference.
            sequence=row.sequence + self.scope.sequence_offset,
            stamp=row.updated_at,
            created=row.created_at,
            categories=categories,
            status=status,
            busy=self.scope.busy_for(rotation, row.team_id, row.user_id),
        )


def _names(labels) -> str:
    """Join names as people write them: "A", "A and B", "A, B and C"."""
    labels = list(labels)
    if len(labels) < 2:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def _email(segment) -> str:
    # Only called for a person's own feed: team and rotation feeds get shared.
    if segment.user is not None and segment.user.email:
        return f" <{segment.user.email}>"
    return ""


def feed_events(*, scope, shifts, overrides, schedule) -> list[FeedEvent]:
    """Return the events of a feed from its shifts and covers and their final schedule.

    ``shifts`` and ``overrides`` are every row of the rotations the feed reads (with their
    rotation, its team, and their assignee loaded); ``schedule`` is ``segments_for`` of those
    rotations over all of those rows. ``scope.shows`` says whose duty is the feed's to show.
    """
    rotations = {row.rotation_id: row.rotation for row in [*shifts, *overrides]}
    writer = _Writer(scope, shifts, overrides, schedule)
    events = writer.events([rotations[pk] for pk in sorted(rotations)])
    events.sort(key=lambda event: (event.start, event.uid))
    return events
