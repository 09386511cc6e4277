"""The routing rules of :mod:`rota.routing`, as pure functions over data already loaded.

Nothing here runs a query: :mod:`rota.routing` loads the rotations, who is on duty in them,
memberships and the routing settings in a fixed number of queries, then applies these rules
(its module docstring states them: sources per role, one person one step, gaps skipped,
the organisation fallback). The incidents app reuses ``escalation_delays_for`` and
``leads_or_managers`` so that escalation pages exactly the path routing answers.
"""

import datetime
from dataclasses import dataclass, field

from ownership.models import Component, Membership, Team

from .models import Rotation, RoutingSettings, SupportPolicy
from .selectors.schedule import Segment

ROLES = (Rotation.Role.PRIMARY, Rotation.Role.SECONDARY)


@dataclass(frozen=True)
class OnCall:
    """A person on duty: who, in which rotation, and until when (a UTC instant)."""

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
    """One level of an escalation path: who is paged together, from which rotation, until when.

    ``role`` is one of first_line, primary, fallback, secondary, lead, manager.
    """

    level: int
    role: str
    users: tuple
    rotation: Rotation | None = None
    until: datetime.datetime | None = None
    team: Team | None = None


@dataclass(frozen=True)
class Fallback:
    """The organisation fallback answered when routing finds nobody on call.

    ``users`` are the people paged (one for a rotation, the on-call person or the leads and
    managers of the fallback team); ``rotation`` and ``team`` say where they came from.
    """

    users: tuple
    rotation: Rotation | None = None
    team: Team | None = None
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
    fallback: Fallback | None = None
    warning: str | None = None
    covering: bool = False  # the responding team covers another team's support shift

    @property
    def nobody(self) -> bool:
        """True when nobody at all will be paged."""
        return not self.escalation


@dataclass
class Loaded:
    """What one batch of queries found: rotations, who is on duty in them, memberships."""

    rotations: list
    segments: dict
    members: dict  # team id -> memberships (with users), leads and managers first
    settings: RoutingSettings


def oncall_from(rotation: Rotation, segment: Segment | None) -> OnCall | None:
    if segment is None or segment.user is None:
        return None
    return OnCall(
        user=segment.user,
        rotation=rotation,
        shift_end=segment.end,
        shift_id=segment.shift_id,
        override_id=segment.override_id,
    )


def first_on_duty(rotations, segments, taken: set) -> OnCall | None:
    """Return the first rotation's person on duty who holds no earlier step (rules 3 and 4).

    Rotations are tried by layer, highest first, then by id.
    """
    for rotation in sorted(rotations, key=lambda r: (-r.layer, r.pk)):
        oncall = oncall_from(rotation, segments.get(rotation.pk))
        if oncall is not None and oncall.user.pk not in taken:
            return oncall
    return None


def _sources(team, following, loaded: Loaded) -> dict:
    """Return, per role, the person rotations that answer for it (rule 3)."""
    own = [
        r
        for r in loaded.rotations
        if team is not None and r.kind == Rotation.Kind.PERSON and r.team_id == team.pk
    ]
    sources = {}
    for role in ROLES:
        followed = [r for r in following if r.role == role]
        sources[role] = followed or [r for r in own if r.role == role and r not in following]
    return sources


def pick_people(result: Responders, *, following, first_line, loaded: Loaded) -> None:
    taken = set()
    if first_line is not None:
        result.first_line = oncall_from(first_line, loaded.segments.get(first_line.pk))
        if result.first_line is not None:
            taken.add(result.first_line.user.pk)
    sources = _sources(result.responding_team, following, loaded)
    result.primary = first_on_duty(sources[Rotation.Role.PRIMARY], loaded.segments, taken)
    if result.primary is not None:
        taken.add(result.primary.user.pk)
    result.secondary = first_on_duty(sources[Rotation.Role.SECONDARY], loaded.segments, taken)


def leads_or_managers(leads, managers, paged=frozenset()) -> tuple[str, tuple]:
    """Return the last escalation step: ("lead", leads) not paged yet, else ("manager", ...).

    ``leads`` and ``managers`` are users of the responding team; ``paged`` the ids of people
    already on the path (rule 4). A team whose leads are all paged already (say its lead is
    the primary) escalates to its managers instead, so the path never just ends early.
    """
    fresh = tuple(u for u in leads if u.pk not in paged)
    if fresh:
        return str(Membership.Role.LEAD), fresh
    return str(Membership.Role.MANAGER), tuple(u for u in managers if u.pk not in paged)


def leads_or_managers_of(memberships, paged=frozenset()) -> tuple[str, tuple]:
    """Return :func:`leads_or_managers` for a team's lead and manager memberships."""
    return leads_or_managers(
        [m.user for m in memberships if m.role == Membership.Role.LEAD],
        [m.user for m in memberships if m.role == Membership.Role.MANAGER],
        paged,
    )


def _fallback(loaded: Loaded) -> Fallback | None:
    """Return the organisation fallback's people on duty now (rule 6), or None."""
    settings = loaded.settings
    rotation = settings.fallback_rotation
    if rotation is not None:
        oncall = oncall_from(rotation, loaded.segments.get(rotation.pk))
        if oncall is not None:
            return Fallback((oncall.user,), rotation=rotation, until=oncall.shift_end)
    team = settings.fallback_team
    if team is None:
        return None
    own = [r for r in loaded.rotations if r.kind == Rotation.Kind.PERSON and r.team_id == team.pk]
    for role in ROLES:
        oncall = first_on_duty([r for r in own if r.role == role], loaded.segments, set())
        if oncall is not None:
            return Fallback(
                (oncall.user,), rotation=oncall.rotation, team=team, until=oncall.shift_end
            )
    members = loaded.members.get(team.pk, ())
    people = tuple(m.user for m in members if m.role == Membership.Role.LEAD) + tuple(
        m.user for m in members if m.role == Membership.Role.MANAGER
    )
    if people:
        return Fallback(people, team=team)
    return None


def build_escalation(result: Responders, loaded: Loaded, *, use_fallback: bool = True) -> None:
    """Build the escalation path (rules 4 to 6) and the fallback and warning."""
    steps = []
    seen: set = set()

    def add(role, users, rotation=None, until=None, team=None):
        fresh = tuple(u for u in users if u.pk not in seen)
        if fresh:
            seen.update(u.pk for u in fresh)
            steps.append(EscalationStep(len(steps) + 1, role, fresh, rotation, until, team))

    for role, oncall in (("first_line", result.first_line), ("primary", result.primary)):
        if oncall is not None:
            add(role, (oncall.user,), oncall.rotation, oncall.shift_end)
    # The first line only mitigates: without a primary or secondary nobody owns the response.
    nobody_on_call = result.primary is None and result.secondary is None
    if nobody_on_call and use_fallback:
        result.fallback = _fallback(loaded)
        if result.fallback is not None:
            fb = result.fallback
            add("fallback", fb.users, fb.rotation, fb.until, fb.team)
    if result.secondary is not None:
        oncall = result.secondary
        add("secondary", (oncall.user,), oncall.rotation, oncall.shift_end)
    if result.responding_team is not None:
        role, users = leads_or_managers_of(loaded.members.get(result.responding_team.pk, ()), seen)
        add(role, users, team=result.responding_team)
    result.escalation = steps
    if nobody_on_call and result.warning is None:
        where = _describe(result)
        if result.fallback is not None:
            result.warning = f"Nobody is on call for {where}; the organisation fallback answers."
        elif steps:
            result.warning = (
                f"Nobody is on call for {where} and no organisation fallback is on duty; "
                f"only the {', '.join(step.role.replace('_', ' ') for step in steps)} "
                f"{'is' if len(steps) == 1 else 'are'} paged."
            )
        else:
            result.warning = (
                f"Nobody is on call for {where} and no organisation fallback is on duty: "
                "nobody will be paged."
            )


def _describe(result: Responders) -> str:
    if result.component is not None:
        owner = result.responding_team.slug if result.responding_team else "no team"
        return f"component {result.component.slug} ({owner})"
    if result.responding_team is not None:
        return f"team {result.responding_team.slug}"
    return "this rotation"


def escalation_delays_for(roles: list[str], slots: list[tuple[str, int]]) -> list[int]:
    """Return the delay (minutes after creation) at which each step of a path is paged.

    ``roles`` are the roles of an escalation path in order (rule 5: empty steps left out);
    ``slots`` the configured (role, delay) steps in order, e.g. ``[("first_line", 0),
    ("primary", 10), ("secondary", 15), ("lead", 30)]``. A step is paged at the delay of the
    earliest configured slot after the previous step that was paged, so a step with nobody on
    duty hands its time to the next one: with primary empty, the secondary is paged at the
    primary's delay; later steps keep their own delays (never earlier than the step before).
    ``fallback`` takes the primary's slot; ``manager`` takes the lead's.
    """
    alias = {"fallback": "primary", "manager": "lead"}
    order = [role for role, _ in slots]
    delays = dict(slots)
    result, cursor, last = [], 0, 0
    for role in roles:
        slot = alias.get(role, role)
        position = order.index(slot) if slot in order else len(order) - 1
        position = max(position, cursor)
        delay = max(delays[order[cursor]] if cursor < len(order) else last, last)
        result.append(delay)
        last = delay
        cursor = position + 1
    return result
