"""A team whose sprint buffer is easy to work out by hand, and support work to fill it.

Sprints last two weeks from Monday 1 January 2024 (Europe/London), so sprint 11 runs from
Monday 3 June to Sunday 16 June 2024: ten working days. Payments has four engineers, a
20% buffer and eight-hour days: capacity 4 x 10 x 8 = 320 h, buffer 64 h. Its manager,
Maria, is not counted in the head count (managers take no duty).
"""

import datetime
from dataclasses import dataclass

from ownership.models import Team
from tests.incidents.factories import IncidentFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import SprintCalendarFactory

from .factories import TeamCapacityFactory

UTC = datetime.UTC
SPRINT_START = datetime.date(2024, 6, 3)
# Monday of the sprint's second week, 10:00 in London.
NOW = datetime.datetime(2024, 6, 10, 9, 0, tzinfo=UTC)


@dataclass
class World:
    team: Team
    manager: object
    engineers: list
    component: object


def build(*, chat_webhook_url: str = "", **capacity) -> World:
    """Create the sprint calendar and Payments (see the module docstring)."""
    SprintCalendarFactory(name="Two-week sprints", start_date=datetime.date(2024, 1, 1))
    return another_team(
        "Payments",
        "payments",
        chat_webhook_url=chat_webhook_url,
        manager=UserFactory(username="maria", first_name="Maria", last_name="Garcia"),
        **capacity,
    )


def another_team(name: str, slug: str, *, chat_webhook_url="", manager=None, **capacity):
    """Create a team like Payments: four engineers, a manager, 20% buffer, 8-hour days."""
    team = TeamFactory(
        name=name, slug=slug, timezone="Europe/London", chat_webhook_url=chat_webhook_url
    )
    TeamCapacityFactory(team=team, buffer_percent=20, hours_per_day=8, **capacity)
    manager = MembershipFactory(team=team, role="manager", user=manager or UserFactory()).user
    engineers = [MembershipFactory(team=team).user for _ in range(4)]
    component = ComponentFactory(slug=f"{slug}-app", name=f"{name} app", owner_team=team)
    return World(team, manager, engineers, component)


def work(world: World, minutes: int, *, at: datetime.datetime | None = None):
    """Record an incident of ``world``'s team on which ``minutes`` were logged."""
    return IncidentFactory(
        component=world.component,
        created_at=at or datetime.datetime(2024, 6, 4, 10, 0, tzinfo=UTC),
        logged_minutes=minutes,
    )
