"""Routing: who responds to a component (or a team, or a rotation) at an instant.

The rules below are written once here and used by every consumer: the on-call API, incident
creation and escalation, bug assignment, the portal's Now board and the reports' replay.

1. **Policy.** A component follows the support policy that names it, else the one naming its
   nearest ancestor, else the default policy (the one naming no components); without any
   policy it is treated as total ownership.
2. **Responding team**, by the policy's model: *ownership*, the component's owning team;
   *dedicated*, the policy's support team; *rotating*, the team on duty in the policy's team
   rotation at that instant in the final schedule (so a team that covers another team's
   support shift through an override is the responding team).
3. **Primary and secondary** (per role). For the rotating model, when the team holds the
   support shift itself, the person rotations that *follow* the team rotation are the source of
   each role they define ("Support on-call" primary and secondary, dealt among the members of
   the team on shift); the team's own person rotations give only the roles no following
   rotation defines. When a team *covers* the support shift (an override on the team rotation),
   the following rotations were dealt to the team it covers, so the covering team's own person
   rotations give both roles. Other models use the responding team's own person rotations.
   Within a role the rotations are tried by ``layer``, highest first, then in id order (as
   PagerDuty's schedule layers: a higher layer answers wherever it has someone on duty); the
   first with someone on duty at that instant (overrides applied, restrictions, weekly
   windows and team holidays honoured) answers.
4. **One person, one step.** Nobody appears twice in an escalation path: a person already paged
   as first line or primary is skipped for a later role, and that role falls to the next
   rotation of the role with someone else on duty (or stays empty).
5. **Gaps are skipped at once.** The escalation path lists exactly the steps that will be
   paged, in order and numbered from 1: first line, primary, secondary, then the responding
   team's leads (or, without a lead not already on the path, its managers). A step with
   nobody on duty is left out, so the next step with someone takes its place (see
   ``escalation_delays_for``).
6. **Never silent.** When no primary or secondary is found (an unowned component, gaps in
   every rotation, a team with nobody on call; a first line only mitigates, so it does not
   count), the organisation fallback of :class:`rota.models.RoutingSettings` is answered and
   paged in the primary's slot (after the first line, if any): the person on duty in its
   fallback rotation, else the on-call people of its fallback team, else that
   team's leads and managers. ``Responders.fallback`` says so. With no fallback (or nobody in
   it) the answer's ``warning`` says plainly that nobody will be paged.

Every lookup runs a fixed number of queries whatever the number of rotations and shifts. The
answers at this instant, cached per process, come from :mod:`rota.routing_cache`.
"""

import datetime
from collections import defaultdict
from dataclasses import replace

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from ownership.models import Component, Team
from ownership.selectors import component_owner_at, leads_and_managers

from .models import Rotation, RoutingSettings, SupportPolicy
from .routing_rules import (  # noqa: F401 - the rules' types and helpers are routing's API
    EscalationStep,
    Fallback,
    Loaded,
    OnCall,
    Responders,
    build_escalation,
    escalation_delays_for,
    leads_or_managers,
    leads_or_managers_of,
    oncall_from,
    pick_people,
)
from .selectors.instant import oncall_for, record_validity

# --- loading ------------------------------------------------------------------------------


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


def routing_settings() -> RoutingSettings:
    """Return the organisation's routing settings (an unsaved default row when none exists)."""
    found = (
        RoutingSettings.objects.filter(pk=RoutingSettings.SINGLETON_ID)
        .select_related("fallback_rotation", "fallback_team")
        .first()
    )
    return found or RoutingSettings(pk=RoutingSettings.SINGLETON_ID)


def _load(*, condition: Q, team_ids, at, extra=()) -> Loaded:
    """Load rotations matching ``condition`` plus the fallback's, who is on duty, memberships.

    Five queries whatever the data: settings, rotations, shifts, overrides, memberships.
    """
    settings = routing_settings()
    if settings.fallback_rotation_id is not None:
        condition |= Q(pk=settings.fallback_rotation_id)
    team_ids = set(team_ids)
    if settings.fallback_team_id is not None:
        condition |= Q(team_id=settings.fallback_team_id, kind=Rotation.Kind.PERSON)
        team_ids.add(settings.fallback_team_id)
    rotations = list(
        Rotation.objects.filter(condition, active=True)
        .select_related("team")
        .distinct()
        .order_by("id")
    )
    known = {r.pk for r in rotations}
    rotations += [r for r in extra if r is not None and r.pk not in known]
    if settings.fallback_rotation is not None:
        # The settings row's copy carries no "active" filter: an inactive fallback is unused.
        settings.fallback_rotation = next(
            (r for r in rotations if r.pk == settings.fallback_rotation_id), None
        )
    segments = oncall_for(rotations, at)
    members = leads_and_managers(team_ids)
    return Loaded(rotations=rotations, segments=segments, members=members, settings=settings)


def _now(at):
    return at or timezone.now()


def _load_component(component) -> Component:
    if isinstance(component, str):
        return Component.objects.select_related("effective_owner_team").get(slug=component)
    if "effective_owner_team" in component._state.fields_cache:
        return component
    return Component.objects.select_related("effective_owner_team").get(pk=component.pk)


def _team_on_shift(team_rotation: Rotation, at) -> tuple[Team | None, bool, object]:
    """Return the team on duty in a team rotation, whether it covers through an override, and
    until when (a UTC instant)."""
    segment = oncall_for([team_rotation], at)[team_rotation.pk]
    if segment is None or segment.team is None:
        return None, False, None
    return segment.team, segment.is_override, segment.end


# Lookups further back than this read the dated ownership history (a re-org moves components).
HISTORY_SLACK = datetime.timedelta(minutes=1)


def _owner_at(component: Component, at):
    """Return the team that owned ``component`` at ``at``: today's owner unless ``at`` is past."""
    recent = timezone.now() - HISTORY_SLACK
    if at >= recent:
        # Any change of owner from now on changes the catalog's version, which caches check.
        record_validity((recent, None))
        return component.effective_owner_team
    period = component_owner_at(component=component, at=at)
    if period is None:
        record_validity(None)  # before the catalog knew it: when that ends is not known here
        return component.effective_owner_team
    record_validity((period.valid_from, period.valid_to))
    return period.team


# --- the lookups --------------------------------------------------------------------------


def responders(*, component, at=None) -> Responders:
    """Return who responds to an incident in ``component`` at ``at`` (default now).

    ``component`` is a Component or its slug (Component.DoesNotExist for an unknown slug).
    ``at`` is an aware instant. See the module docstring for the rules.
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
        owning_team=_owner_at(component, at),
    )
    team_rotation, team_until = None, None
    if model == SupportPolicy.Model.OWNERSHIP:
        result.responding_team = result.owning_team
    elif model == SupportPolicy.Model.DEDICATED:
        result.responding_team = policy.dedicated_team
    else:
        team_rotation = policy.team_rotation
        result.responding_team, result.covering, team_until = _team_on_shift(team_rotation, at)
    first_line = policy.first_line_rotation if policy else None
    team = result.responding_team
    condition = Q(pk__in=[])
    if team is not None:
        condition |= Q(team=team, kind=Rotation.Kind.PERSON)
        if team_rotation is not None and not result.covering:
            condition |= Q(follows_team_rotation=team_rotation)
    if first_line is not None:
        condition |= Q(pk=first_line.pk)
    loaded = _load(condition=condition, team_ids=[team.pk] if team else [], at=at)
    following = [
        r
        for r in loaded.rotations
        if team_rotation is not None
        and not result.covering
        and team is not None
        and r.follows_team_rotation_id == team_rotation.pk
    ]
    active_first_line = next(
        (r for r in loaded.rotations if first_line is not None and r.pk == first_line.pk), None
    )
    pick_people(result, following=following, first_line=active_first_line, loaded=loaded)
    _until(result, team_until)
    build_escalation(result, loaded)
    return result


def _until(result: Responders, limit) -> None:
    """End the primary's and secondary's duty no later than the team's support shift (or cover)."""
    if limit is None:
        return
    for role in ("primary", "secondary"):
        oncall = getattr(result, role)
        if oncall is not None and oncall.shift_end > limit:
            setattr(result, role, replace(oncall, shift_end=limit))


def responders_for_team(*, team: Team, at=None) -> Responders:
    """Return the on-call people of a team at ``at`` (same rules as for a component).

    While the team holds a support shift of a team rotation itself, the person rotations that
    follow that team rotation answer for the roles they define.
    """
    return responders_for_teams(teams=[team], at=at)[team.pk]


def responders_for_teams(*, teams, at=None) -> dict[int, Responders]:
    """Return responders_for_team for many teams at once, in a fixed number of queries."""
    at = _now(at)
    teams = list(teams)
    ids = {team.pk for team in teams}
    loaded = _load(
        condition=Q(team_id__in=ids, kind=Rotation.Kind.PERSON)
        | Q(kind=Rotation.Kind.TEAM, participants__team_id__in=ids)
        | Q(follows_team_rotation__participants__team_id__in=ids),
        team_ids=ids,
        at=at,
    )
    on_shift = defaultdict(set)  # team id -> team rotations it holds itself now
    for rotation in loaded.rotations:
        segment = loaded.segments.get(rotation.pk)
        is_team = rotation.kind == Rotation.Kind.TEAM and segment is not None
        if is_team and segment.team is not None and not segment.is_override:
            on_shift[segment.team.pk].add(rotation.pk)
    answers = {}
    for team in teams:
        result = Responders(at=at, responding_team=team, owning_team=team)
        following = [r for r in loaded.rotations if r.follows_team_rotation_id in on_shift[team.pk]]
        pick_people(result, following=following, first_line=None, loaded=loaded)
        build_escalation(result, loaded)
        answers[team.pk] = result
    return answers


def responders_for_rotation(*, rotation: Rotation, at=None) -> Responders:
    """Return who is on duty in a rotation at ``at``.

    For a team rotation: the team on shift and its on-call people (as for that team). For a
    person rotation: the person on duty, as primary or secondary according to the rotation's
    role. A rotation lookup answers for the rotation alone: no organisation fallback.
    """
    return responders_for_rotations(rotations=[rotation], at=at)[rotation.pk]


def responders_for_rotations(*, rotations, at=None) -> dict[int, Responders]:
    """Return responders_for_rotation for many rotations at once, in a fixed number of queries.

    ``rotations`` carry ``follows_team_rotation`` loaded; the answer maps rotation id to
    the same Responders ``responders_for_rotation`` gives.
    """
    at = _now(at)
    rotations = list({r.pk: r for r in rotations}.values())
    related = {r.pk: r for r in rotations}
    for rotation in rotations:
        if rotation.follows_team_rotation_id is not None:
            related.setdefault(rotation.follows_team_rotation_id, rotation.follows_team_rotation)
    segments = oncall_for(list(related.values()), at) if related else {}
    answers = {}
    # Team rotations: the team on shift answers with its own people (one load for all).
    on_shift = {}
    condition, team_ids = Q(pk__in=[]), set()
    for rotation in rotations:
        if rotation.kind != Rotation.Kind.TEAM:
            continue
        segment = segments.get(rotation.pk)
        if segment is None or segment.team is None:
            result = Responders(at=at)
            result.warning = f"Nobody is on duty in rotation {rotation.name}."
            answers[rotation.pk] = result
            continue
        team, covering = segment.team, segment.is_override
        on_shift[rotation.pk] = (team, covering, segment.end)
        team_ids.add(team.pk)
        condition |= Q(team=team, kind=Rotation.Kind.PERSON)
        if not covering:
            condition |= Q(follows_team_rotation=rotation)
    if on_shift:
        loaded = _load(condition=condition, team_ids=team_ids, at=at)
        for rotation in rotations:
            if rotation.pk not in on_shift:
                continue
            team, covering, team_until = on_shift[rotation.pk]
            result = Responders(at=at, responding_team=team, covering=covering)
            following = [
                r
                for r in loaded.rotations
                if not covering and r.follows_team_rotation_id == rotation.pk
            ]
            pick_people(result, following=following, first_line=None, loaded=loaded)
            _until(result, team_until)
            build_escalation(result, loaded, use_fallback=False)
            answers[rotation.pk] = result
    # Person rotations: who holds the shift, with the leads of the responding teams.
    people = [r for r in rotations if r.kind != Rotation.Kind.TEAM]
    teams = {}
    for rotation in people:
        if rotation.follows_team_rotation_id is not None:
            followed = segments.get(rotation.follows_team_rotation_id)
            teams[rotation.pk] = followed.team if followed else None
        else:
            teams[rotation.pk] = rotation.team
    members = leads_and_managers({t.pk for t in teams.values() if t is not None})
    for rotation in people:
        answers[rotation.pk] = _person_rotation_answer(rotation, segments, members, at)
    return answers


def _person_rotation_answer(rotation, segments, members, at) -> Responders:
    """Answer for a person rotation from its and its followed rotation's segments."""
    result = Responders(at=at)
    oncall = oncall_from(rotation, segments.get(rotation.pk))
    mine = {rotation.pk: segments.get(rotation.pk)}
    if rotation.follows_team_rotation_id is not None:
        followed = segments.get(rotation.follows_team_rotation_id)
        mine[rotation.follows_team_rotation_id] = followed
        result.responding_team = followed.team if followed else None
        if followed is not None and followed.is_override:
            result.covering = True
            result.warning = (
                f"{followed.team.name if followed.team else 'Another team'} covers the support "
                f"shift until {followed.end:%Y-%m-%d %H:%M} UTC; this rotation's people are "
                "not paged meanwhile."
            )
            oncall = None
        elif oncall is not None and followed is not None:
            oncall = replace(oncall, shift_end=min(oncall.shift_end, followed.end))
    else:
        result.responding_team = rotation.team
    if rotation.role == Rotation.Role.SECONDARY:
        result.secondary = oncall
    else:
        result.primary = oncall
    team_id = result.responding_team.pk if result.responding_team else None
    team_members = {team_id: members.get(team_id, [])} if team_id is not None else {}
    loaded = Loaded([rotation], mine, team_members, RoutingSettings())
    build_escalation(result, loaded, use_fallback=False)
    if oncall is None and result.warning is None:
        result.warning = f"Nobody is on duty in rotation {rotation.name}."
    return result
