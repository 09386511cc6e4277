"""Checks of the coming weeks of a rota: gaps, double bookings, clashes with leave, and the
critical components nobody covers out of hours."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.utils import timezone

from core.timeutil import ONE_DAY, UTC, date_span, zone
from ownership.models import Component

from ..dealing import subtract
from ..intervals import intersection, union
from ..models import (
    Override,
    Rotation,
    RoutingSettings,
    Shift,
    SupportPolicy,
    SupportPolicyComponent,
    Unavailability,
)
from ..slots import SlotClock
from .schedule import Duty, duty_for, restriction_windows, segments_for


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


# --- Out-of-hours cover of critical components ---------------------------------------------
#
# Routing answers, at an instant, the responding team of a component (by its support policy)
# and the people on duty in that team's person rotations (and, for a rotating policy, in the
# rotations that follow the team rotation) and in the policy's first line. Rather than ask it
# per instant and per component, the check rebuilds the same answer over whole weeks from the
# final schedule of those rotations: components with the same policy inputs share one answer.


@dataclass(frozen=True)
class UncoveredSpan:
    """A span out of business hours in which routing finds nobody on duty for a component."""

    start: datetime.datetime  # in ``timezone``
    end: datetime.datetime
    team: object = None  # the responding team then (ownership.Team), or None
    timezone: str = "UTC"  # the responding team's zone (see _zone_of)

    @property
    def hours(self) -> float:
        # In UTC: the difference of two times in one zone ignores a DST change between them.
        return (self.end.astimezone(UTC) - self.start.astimezone(UTC)) / datetime.timedelta(hours=1)


@dataclass
class CoverGap:
    """A component of a guarded tier and the out-of-hours spans nobody covers, merged."""

    component: object  # ownership.Component, effective owner team loaded
    spans: list[UncoveredSpan]

    @property
    def teams(self) -> list:
        """Return the responding teams named by the spans, in order, once each."""
        seen = {}
        for span in self.spans:
            if span.team is not None:
                seen.setdefault(span.team.pk, span.team)
        return list(seen.values())

    @property
    def hours(self) -> float:
        return sum(span.hours for span in self.spans)


def cover_max_tier() -> int:
    """Return the least critical tier the cover check guards (RoutingSettings, else default)."""
    row = RoutingSettings.objects.filter(pk=RoutingSettings.SINGLETON_ID).first()
    if row is not None:
        return row.cover_check_max_tier
    return RoutingSettings._meta.get_field("cover_check_max_tier").default


def cover_gaps(*, weeks: int = 4, now=None) -> list[CoverGap]:
    """Return, by component name, the guarded components nobody covers out of hours.

    Guarded: tier ``RoutingSettings.cover_check_max_tier`` or more critical (a lower number).
    Out of hours: outside Monday to Friday 09:00-17:00 in the responding team's zone, as a
    rotation restricted to business hours uses them. Covered: routing would find someone on
    duty (first line, primary or secondary). At most ten queries, whatever the numbers of
    components, rotations and shifts.
    """
    start = now or timezone.now()
    end = start + datetime.timedelta(weeks=weeks)
    components = list(
        Component.objects.filter(tier__lte=cover_max_tier())
        .select_related("effective_owner_team")
        .order_by("name", "id")
    )
    if not components:
        return []
    groups = defaultdict(list)  # routing inputs -> components
    for component, policy in zip(components, _policies_of(components), strict=True):
        groups[_routing_inputs(component, policy)].append(component)
    team_rotations = {key[1].pk: key[1] for key in groups if key[0] == "rotation"}
    turns = segments_for(list(team_rotations.values()), start, end)
    teams = {key[1].pk: key[1] for key in groups if key[0] == "team" and key[1] is not None}
    for segments in turns.values():
        teams.update({seg.team.pk: seg.team for seg in segments if seg.team is not None})
    people = list(
        Rotation.objects.filter(
            Q(team_id__in=teams) | Q(follows_team_rotation_id__in=team_rotations),
            kind=Rotation.Kind.PERSON,
            active=True,
        )
    )
    first_lines = {key[2].pk: key[2] for key in groups if key[2] is not None}
    loaded = {rotation.pk for rotation in people}
    duty = segments_for(
        people + [r for pk, r in first_lines.items() if pk not in loaded], start, end
    )
    on_duty = {
        pk: union((seg.start, seg.end) for seg in segments if seg.user is not None)
        for pk, segments in duty.items()
    }
    cover = _Cover(people, on_duty, start, end)
    found = []
    for key, members in groups.items():
        if key[0] == "rotation":
            spans = cover.rotating(key[1], turns[key[1].pk], key[2], owners_out_of_hours=key[3])
        else:
            spans = cover.team(key[1], key[2], owners_out_of_hours=key[3])
        if spans:
            found += [CoverGap(component, spans) for component in members]
    return sorted(found, key=lambda gap: (gap.component.name, gap.component.pk))


def _policies_of(components) -> list:
    """Return the support policy of each component as routing.policy_for finds it (3 queries)."""
    parents = dict(Component.objects.values_list("id", "parent_id"))
    links = dict(SupportPolicyComponent.objects.values_list("component_id", "policy_id"))
    policies = list(
        SupportPolicy.objects.select_related(
            "team_rotation", "dedicated_team", "first_line_rotation"
        )
    )
    named = set(links.values())
    by_id = {policy.pk: policy for policy in policies}
    # Like policy_for: of the policies naming no component, the last in their ordering.
    default = next((p for p in reversed(policies) if p.pk not in named), None)
    found = []
    for component in components:
        node, depth = component.pk, 0
        while node is not None and node not in links and depth < 100:
            node, depth = parents.get(node), depth + 1
        found.append(by_id[links[node]] if node in links else default)
    return found


def _routing_inputs(component, policy) -> tuple:
    """Return (kind, team or team rotation, first line, owners paged out of hours?)."""
    first_line = policy.first_line_rotation if policy is not None else None
    # With owner paging held to business hours, only the first line answers out of hours.
    owners = policy is None or policy.owner_paging != SupportPolicy.OwnerPaging.BUSINESS_HOURS
    model = policy.model if policy is not None else SupportPolicy.Model.OWNERSHIP
    if model == SupportPolicy.Model.ROTATING and policy.team_rotation is not None:
        return ("rotation", policy.team_rotation, first_line, owners)
    team = policy.dedicated_team if model == SupportPolicy.Model.DEDICATED else None
    if model == SupportPolicy.Model.OWNERSHIP:
        team = component.effective_owner_team
    return ("team", team, first_line, owners)


class _Cover:
    """Answer "when out of hours is nobody on duty" for one set of routing inputs."""

    def __init__(self, people, on_duty, start, end):
        self.on_duty, self.start, self.end = on_duty, start, end
        self.by_team, self.following = defaultdict(list), defaultdict(list)
        for rotation in people:
            if rotation.team_id is not None:
                self.by_team[rotation.team_id].append(rotation.pk)
            if rotation.follows_team_rotation_id is not None:
                self.following[rotation.follows_team_rotation_id].append(rotation.pk)

    def _uncovered(self, tz_name, start, end, rotation_ids, team) -> list[UncoveredSpan]:
        covered = [span for pk in rotation_ids for span in self.on_duty.get(pk, ())]
        # A rotation restricted to out of hours, unsaved: the rota's own business-hours rule.
        quiet = restriction_windows(
            Rotation(restriction=Rotation.Restriction.OUT_OF_HOURS, timezone=tz_name), start, end
        )
        return [
            UncoveredSpan(s, e, team, tz_name)
            for window in quiet
            for s, e in subtract(*window, covered)
        ]

    def team(self, team, first_line, *, owners_out_of_hours=True) -> list[UncoveredSpan]:
        ids = list(self.by_team[team.pk]) if team is not None and owners_out_of_hours else []
        if first_line is not None:
            ids.append(first_line.pk)
        tz_name = _zone_of(team, first_line)
        return _merged(self._uncovered(tz_name, self.start, self.end, ids, team))

    def rotating(self, team_rotation, turns, first_line, *, owners_out_of_hours=True):
        followers = self.following[team_rotation.pk] if owners_out_of_hours else []
        first = [first_line.pk] if first_line is not None else []
        on_shift = [(seg.start, seg.end, seg.team) for seg in turns]
        between = subtract(self.start, self.end, [(s, e) for s, e, _ in on_shift])
        spans = []
        for s, e, team in on_shift + [(s, e, None) for s, e in between]:
            own = self.by_team[team.pk] if team is not None and owners_out_of_hours else []
            tz_name = _zone_of(team, team_rotation)
            spans += self._uncovered(tz_name, s, e, [*own, *followers, *first], team)
        return _merged(spans)


def _zone_of(team, rotation) -> str:
    """Return the responding team's zone; without a team, the deciding rotation's (or UTC)."""
    if team is not None:
        return team.timezone
    return rotation.timezone if rotation is not None else "UTC"


def _merged(spans: list[UncoveredSpan]) -> list[UncoveredSpan]:
    """Join touching spans of the same responding team, then give them in the team's zone.

    ``spans`` are in UTC: times in one zone compare as wall-clock times, wrong across DST.
    """
    merged = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        last = merged[-1] if merged else None
        same = last is not None and (last.team and last.team.pk) == (span.team and span.team.pk)
        if same and span.start <= last.end:
            merged[-1] = replace(last, end=max(last.end, span.end))
        else:
            merged.append(span)
    return [
        replace(
            span,
            start=span.start.astimezone(zone(span.timezone)),
            end=span.end.astimezone(zone(span.timezone)),
        )
        for span in merged
    ]
