"""Out-of-hours cover of critical components: the spans where nobody answers for them."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db.models import Q
from django.utils import timezone

from core.timeutil import UTC, zone
from ownership.models import Component

from ..dealing import subtract
from ..intervals import union
from ..models import (
    Rotation,
    RoutingSettings,
    SupportPolicy,
    SupportPolicyComponent,
)
from .schedule import restriction_windows, segments_for

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
