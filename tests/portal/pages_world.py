"""A small organisation for the portal page tests, built at any size.

Each team has three engineers, a component with a code path, a weekly on-call rotation whose
current shift is the first engineer's (then the second's, then nobody's: a gap), an open and
a resolved incident, and a bug waiting for triage. The first team also takes part in a team
rotation that a rotating support policy uses for its components.
"""

import datetime
from dataclasses import dataclass, field

from incidents.models import Incident
from rota.models import Rotation, SupportPolicy
from rota.services._common import rota_touch
from tests.incidents.factories import BugFactory, IncidentFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.rota.factories import (
    RotationFactory,
    ShiftFactory,
    SupportPolicyFactory,
    TeamRotationFactory,
)

DAY = datetime.timedelta(days=1)


@dataclass
class World:
    now: datetime.datetime
    teams: list = field(default_factory=list)
    people: dict = field(default_factory=dict)  # team slug -> [users]
    components: list = field(default_factory=list)
    rotations: list = field(default_factory=list)
    shifts: dict = field(default_factory=dict)  # team slug -> [current, next, unassigned]
    incidents: list = field(default_factory=list)


def build_world(*, teams: int, now: datetime.datetime) -> World:
    """Create ``teams`` teams with their rota, incidents and bugs around ``now``."""
    world = World(now=now)
    for n in range(teams):
        team = TeamFactory(timezone="Europe/Berlin" if n == 0 else "Europe/London")
        people = [MembershipFactory(team=team).user for _ in range(3)]
        component = ComponentFactory(owner_team=team, paths=[f"/svc{team.pk}/"])
        rotation = RotationFactory(team=team, participants=people, name=f"{team.name} on call")
        starts = [now - DAY + week * 7 * DAY for week in range(4)]
        world.shifts[team.slug] = [
            ShiftFactory(rotation=rotation, user=who, start=start, end=end)
            for who, start, end in zip([*people[:2], None], starts, starts[1:], strict=False)
        ]
        world.incidents.append(IncidentFactory(component=component, responder=people[0]))
        IncidentFactory(component=component, status=Incident.Status.RESOLVED, resolved_at=now - DAY)
        BugFactory(component=component)
        world.teams.append(team)
        world.people[team.slug] = people
        world.components.append(component)
        world.rotations.append(rotation)
    first = world.teams[0]
    support = TeamRotationFactory(participants=[first], name="Support turns")
    ShiftFactory(rotation=support, user=None, team=first, start=now - DAY, end=now + 13 * DAY)
    SupportPolicyFactory(name="Default")
    SupportPolicyFactory(
        name="Rotating",
        model=SupportPolicy.Model.ROTATING,
        team_rotation=support,
        components=[world.components[0]],
    )
    world.rotations.append(support)
    rota_touch()  # factories write rows directly; tell the on-call caches
    return world


def person_rotations(world: World) -> list[Rotation]:
    return [r for r in world.rotations if r.kind == Rotation.Kind.PERSON]
