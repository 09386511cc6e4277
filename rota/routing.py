"""Routing: who responds to a component (or a team, or a rotation) at an instant.

A component follows the support policy that names it, else the one naming its nearest
ancestor, else the default policy (the one naming no components); without any policy it is
treated as total ownership. Then, by the policy's model:

* ownership: the component's owning team responds;
* dedicated: the policy's support team responds;
* rotating: the team on shift in the policy's team rotation responds.

The responding team's person rotations give the primary and secondary on-call (the first
rotation of each role with someone on duty at that instant, restrictions honoured); for the
rotating model the person rotations that follow the team rotation count too. The escalation
path is: first line (if any), primary, secondary, then the team's leads and managers.

Every lookup runs a fixed number of queries whatever the number of rotations and shifts.
"""

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from ownership.models import Component, Membership, Team

from .models import Rotation, SupportPolicy
from .selectors.schedule import Segment, oncall_for, tracking_validity


@dataclass(frozen=True)
class OnCall:
    """A person on duty: who, in which rotation, and until when."""

    user: object
    rotation: Rotation
    shift_end: datetime.datetime
    shift_id: int | None = None
    override_id: int | None = None

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def email(self) -> str:
        return self.user.email


@dataclass(frozen=True)
class EscalationStep:
    level: int
    role: str  # first_line, primary, secondary, lead, manager
    users: tuple
    rotation: Rotation | None = None
    until: datetime.datetime | None = None


@dataclass
class Responders:
    at: datetime.datetime
    policy: SupportPolicy | None = None
    model: str | None = None
    component: Component | None = None
    owning_team: Team | None = None
    responding_team: Team | None = None
    primary: OnCall | None = None
    secondary: OnCall | None = None
    first_line: OnCall | None = None
    escalation: list[EscalationStep] = field(default_factory=list)


def _ancestor_ids(component_id: int) -> list[int]:
    """Return the component and its ancestors, nearest first, in one recursive query."""
    table = connection.ops.quote_name(Component._meta.db_table)
    # The only interpolation is the model's own (quoted) table name.
    sql = (
        "WITH RECURSIVE chain(id, parent_id, depth) AS ("  # noqa: S608
        f" SELECT id, parent_id, 0 FROM {table} WHERE id = %s"
        f" UNION ALL SELECT c.id, c.parent_id, chain.depth + 1 FROM {table} c"
        " JOIN chain ON c.id = chain.parent_id WHERE chain.depth < 100"
        ") SELECT id FROM chain ORDER BY depth"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [component_id])
        return [row[0] for row in cursor.fetchall()]


def policy_for(*, component: Component) -> SupportPolicy | None:
    """Return the support policy that applies to a component (two queries)."""
    chain = _ancestor_ids(component.pk)
    rank = {pk: depth for depth, pk in enumerate(chain)}
    rows = (
        SupportPolicy.objects.filter(
            Q(component_links__component_id__in=chain) | Q(component_links__isnull=True)
        )
        .annotate(linked=F("component_links__component_id"))
        .select_related("team_rotation", "dedicated_team", "first_line_rotation")
    )
    best, default = None, None
    for policy in rows:
        if policy.linked is None:
            default = policy
        elif best is None or rank[policy.linked] < rank[best.linked]:
            best = policy
    return best or default


def _now(at):
    return at or timezone.now()


def _load_component(component) -> Component:
    if isinstance(component, str):
        return Component.objects.select_related("effective_owner_team").get(slug=component)
    if "effective_owner_team" in component._state.fields_cache:
        return component
    return Component.objects.select_related("effective_owner_team").get(pk=component.pk)


def responders(*, component, at=None) -> Responders:
    """Return who responds to an incident in ``component`` at ``at`` (default now).

    ``component`` is a Component or its slug (Component.DoesNotExist for an unknown slug).
    """
    at = _now(at)
    component = _load_component(component)
    policy = policy_for(component=component)
    model = policy.model if policy else SupportPolicy.Model.OWNERSHIP
    result = Responders(
        at=at,
        policy=policy,
        model=model,
        component=component,
        owning_team=component.effective_owner_team,
    )
    team_rotation = None
    if model == SupportPolicy.Model.OWNERSHIP:
        result.responding_team = component.effective_owner_team
    elif model == SupportPolicy.Model.DEDICATED:
        result.responding_team = policy.dedicated_team
    else:
        team_rotation = policy.team_rotation
        segment = oncall_for([team_rotation], at)[team_rotation.pk]
        result.responding_team = segment.team if segment else None
    first_line = policy.first_line_rotation if policy else None
    _fill_people(result, team_rotation=team_rotation, first_line=first_line)
    return result


def responders_for_team(*, team: Team, at=None) -> Responders:
    """Return the on-call people of a team at ``at``.

    Besides the team's own person rotations this counts the rotations that follow a team
    rotation while this team is on shift in it.
    """
    return responders_for_teams(teams=[team], at=at)[team.pk]


def responders_for_teams(*, teams, at=None) -> dict[int, Responders]:
    """Return responders_for_team for many teams at once, in five queries whatever their number."""
    at = _now(at)
    teams = list(teams)
    ids = {team.pk for team in teams}
    rotations = list(
        Rotation.objects.filter(
            Q(team_id__in=ids, kind=Rotation.Kind.PERSON)
            | Q(kind=Rotation.Kind.TEAM, participants__team_id__in=ids)
            | Q(follows_team_rotation__participants__team_id__in=ids),
            active=True,
        )
        .distinct()
        .order_by("id")
        .prefetch_related("participants")
    )
    taking_part = {
        r.pk: {p.team_id for p in r.participants.all()}
        for r in rotations
        if r.kind == Rotation.Kind.TEAM
    }
    segments = oncall_for(rotations, at)
    members = defaultdict(list)
    for membership in _leads_and_managers(ids):
        members[membership.team_id].append(membership)
    answers = {}
    for team in teams:
        result = Responders(at=at, responding_team=team, owning_team=team)
        on_shift = {
            pk
            for pk, places in taking_part.items()
            if team.pk in places and _is_team(segments[pk], team)
        }
        people = [
            r
            for r in rotations
            if r.kind == Rotation.Kind.PERSON
            and (r.team_id == team.pk or r.follows_team_rotation_id in on_shift)
        ]
        _pick(result, people, segments)
        _escalate(result, members=members[team.pk])
        answers[team.pk] = result
    return answers


def responders_for_rotation(*, rotation: Rotation, at=None) -> Responders:
    """Return who is on duty in a rotation at ``at``.

    For a team rotation: the team on shift and its on-call people. For a person rotation: the
    person on duty, as primary or secondary according to the rotation's role.
    """
    at = _now(at)
    result = Responders(at=at)
    if rotation.kind == Rotation.Kind.TEAM:
        segment = oncall_for([rotation], at)[rotation.pk]
        result.responding_team = segment.team if segment else None
        _fill_people(result, team_rotation=rotation, first_line=None)
        return result
    related = [rotation]
    if rotation.follows_team_rotation_id is not None:
        related.append(rotation.follows_team_rotation)
    segments = oncall_for(related, at)
    if rotation.follows_team_rotation_id is not None:
        followed = segments[rotation.follows_team_rotation_id]
        result.responding_team = followed.team if followed else None
    else:
        result.responding_team = rotation.team
    _pick(result, [rotation], segments)
    _escalate(result)
    return result


def _is_team(segment: Segment | None, team: Team) -> bool:
    return segment is not None and segment.team is not None and segment.team.pk == team.pk


def _fill_people(result: Responders, *, team_rotation, first_line) -> None:
    """Find primary, secondary and first line in one batch of queries."""
    team = result.responding_team
    if team is None and team_rotation is None and first_line is None:
        return
    condition = Q(pk__in=[])
    if team is not None:
        condition |= Q(team=team, kind=Rotation.Kind.PERSON)
    if team_rotation is not None:
        condition |= Q(follows_team_rotation=team_rotation)
    rotations = list(Rotation.objects.filter(condition, active=True).order_by("id"))
    if first_line is not None and all(r.pk != first_line.pk for r in rotations):
        rotations.append(first_line)
    segments = oncall_for(rotations, result.at)
    first_line_id = first_line.pk if first_line is not None else None
    people = [r for r in rotations if r.pk != first_line_id and r.kind == Rotation.Kind.PERSON]
    _pick(result, people, segments)
    if first_line is not None:
        result.first_line = _oncall(first_line, segments.get(first_line.pk))
    _escalate(result)


def _oncall(rotation: Rotation, segment: Segment | None) -> OnCall | None:
    if segment is None or segment.user is None:
        return None
    return OnCall(
        user=segment.user,
        rotation=rotation,
        shift_end=segment.end,
        shift_id=segment.shift_id,
        override_id=segment.override_id,
    )


def _pick(result: Responders, rotations, segments) -> None:
    """Take the first rotation of each role with someone on duty (own team's rotations first)."""
    team_id = result.responding_team.pk if result.responding_team else None
    ordered = sorted(rotations, key=lambda r: (r.team_id != team_id, r.pk))
    for rotation in ordered:
        oncall = _oncall(rotation, segments.get(rotation.pk))
        if oncall is None:
            continue
        if rotation.role == Rotation.Role.PRIMARY and result.primary is None:
            result.primary = oncall
        elif rotation.role == Rotation.Role.SECONDARY and result.secondary is None:
            result.secondary = oncall


def _leads_and_managers(team_ids):
    return (
        Membership.objects.filter(
            team_id__in=team_ids, role__in=[Membership.Role.LEAD, Membership.Role.MANAGER]
        )
        .select_related("user")
        .order_by("user__username")
    )


def _escalate(result: Responders, members=None) -> None:
    """Build the escalation path: first line, primary, secondary, leads, managers.

    ``members`` are the responding team's leads and managers when the caller loaded them
    already; otherwise one query loads them.
    """
    steps = []
    for role, oncall in (
        ("first_line", result.first_line),
        ("primary", result.primary),
        ("secondary", result.secondary),
    ):
        if oncall is not None:
            steps.append(
                EscalationStep(
                    len(steps) + 1, role, (oncall.user,), oncall.rotation, oncall.shift_end
                )
            )
    if result.responding_team is not None:
        if members is None:
            members = _leads_and_managers({result.responding_team.pk})
        by_role = {Membership.Role.LEAD: [], Membership.Role.MANAGER: []}
        for membership in members:
            by_role[membership.role].append(membership.user)
        for role in (Membership.Role.LEAD, Membership.Role.MANAGER):
            if by_role[role]:
                steps.append(EscalationStep(len(steps) + 1, str(role), tuple(by_role[role])))
    result.escalation = steps


# --- "Who is on call now", cached ---------------------------------------------------------
#
# The answer only changes at a shift or override boundary, or when someone edits the rota or
# the catalog. A process keeps each answer until the first boundary among the segments it was
# built from, and drops it as soon as the rota or catalog version tag changes (one query).
# Where nobody is on duty the next start is unknown, so such answers live a minute at most.

MAX_CACHE = datetime.timedelta(minutes=5)
GAP_CACHE = datetime.timedelta(minutes=1)
_CACHE_SIZE = 10_000
_answers: dict = {}
_stamps = itertools.count(1)


def versions() -> tuple:
    """The rota and catalog version tags, in one cheap query (this runs on every lookup)."""
    from ownership.models import CatalogVersion

    from .models import RotaVersion

    quote = connection.ops.quote_name
    rota_table = quote(RotaVersion._meta.db_table)
    catalog_table = quote(CatalogVersion._meta.db_table)
    # Only the models' own quoted table names are interpolated; the ORM's query compiler would
    # cost more than the query itself here.
    sql = (
        f"SELECT (SELECT tag FROM {rota_table} WHERE id = 1),"  # noqa: S608
        f" (SELECT version FROM {catalog_table} WHERE id = 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def responders_now(*, component=None, team=None, rotation=None) -> Responders:
    """Return responders at this instant for one of component, team or rotation, cached.

    ``component`` and ``team`` are slugs or objects, ``rotation`` an id or object.
    """
    return responders_now_versioned(component=component, team=team, rotation=rotation)[0]


def responders_now_versioned(*, component=None, team=None, rotation=None) -> tuple:
    """Return (responders now, a number that changes whenever the cached answer is rebuilt).

    Callers may cache what they derive from the answer (e.g. its JSON) under that number.
    """
    if component is not None:
        key = ("component", getattr(component, "slug", component))

        def compute(at):
            return responders(component=key[1], at=at)
    elif team is not None:
        key = ("team", getattr(team, "slug", team))

        def compute(at):
            return responders_for_team(team=Team.objects.get(slug=key[1]), at=at)
    else:
        key = ("rotation", getattr(rotation, "pk", rotation))

        def compute(at):
            return responders_for_rotation(
                rotation=Rotation.objects.select_related("follows_team_rotation").get(pk=key[1]),
                at=at,
            )

    now = timezone.now()
    versions_now = versions()
    hit = _answers.get(key)
    if hit is not None and hit[0] == versions_now and now < hit[1]:
        return replace(hit[2], at=now), hit[3]
    with tracking_validity() as ends:
        result = compute(now)
    limit = now + (GAP_CACHE if None in ends else MAX_CACHE)
    valid_until = min([limit, *(end for end in ends if end is not None)])
    if len(_answers) >= _CACHE_SIZE:
        _answers.clear()
    stamp = next(_stamps)
    _answers[key] = (versions_now, valid_until, result, stamp)
    return result, stamp


def responders_now_for_teams(*, teams) -> dict[int, Responders]:
    """Return responders_now(team=...) for many teams, computing the stale ones in one batch."""
    teams = list(teams)
    now = timezone.now()
    versions_now = versions()
    answers, missing = {}, []
    for team in teams:
        hit = _answers.get(("team", team.slug))
        if hit is not None and hit[0] == versions_now and now < hit[1]:
            answers[team.pk] = replace(hit[2], at=now)
        else:
            missing.append(team)
    if not missing:
        return answers
    with tracking_validity() as ends:
        computed = responders_for_teams(teams=missing, at=now)
    # One batch: every answer holds until the first boundary any of them depends on.
    limit = now + (GAP_CACHE if None in ends else MAX_CACHE)
    valid_until = min([limit, *(end for end in ends if end is not None)])
    if len(_answers) + len(missing) >= _CACHE_SIZE:
        _answers.clear()
    for team in missing:
        _answers[("team", team.slug)] = (
            versions_now,
            valid_until,
            computed[team.pk],
            next(_stamps),
        )
        answers[team.pk] = computed[team.pk]
    return answers


def responders_cache_clear() -> None:
    _answers.clear()
