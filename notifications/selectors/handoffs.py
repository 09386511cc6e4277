"""Find the handoffs that are due: tell who takes over a shift that just started, and from whom."""

import datetime
from dataclasses import dataclass, field

from rota.models import Rotation, Shift

from ..conf import seconds
from ..keys import handoff_key
from ..models import Delivery
from ..plans import Plan, plan_for_team, plans_for_person
from ..recipients import recipients_for, team_channels
from .duties import HANDOFF_ROLES, members_by_team


@dataclass
class Handoff:
    """Who a handoff concerns: people told personally and teams told in their channel.

    For a person rotation the incoming and outgoing people are told, and the rotation's team
    channel. For a team rotation the leads and managers of the incoming and outgoing teams are
    told, and both teams' channels (the engineers were reminded before the shift started).
    """

    shift: Shift
    previous: Shift | None
    people: set[int] = field(default_factory=set)
    teams: set[int] = field(default_factory=set)


def handoffs_for(shifts: list[Shift]) -> list[Handoff]:
    """Return the handoff at the start of each shift, in a few queries."""
    if not shifts:
        return []
    previous = {}
    for shift in Shift.objects.filter(
        rotation_id__in={s.rotation_id for s in shifts}, end__in={s.start for s in shifts}
    ):
        previous[(shift.rotation_id, shift.end)] = shift
    rotation_teams = dict(
        Rotation.objects.filter(pk__in={s.rotation_id for s in shifts}).values_list("pk", "team_id")
    )
    handoffs = [Handoff(shift, previous.get((shift.rotation_id, shift.start))) for shift in shifts]
    team_ids = {
        s.team_id for h in handoffs for s in (h.shift, h.previous) if s and s.team_id is not None
    }
    leaders = members_by_team(team_ids, roles=HANDOFF_ROLES)
    for handoff in handoffs:
        for shift in (handoff.shift, handoff.previous):
            if shift is None:
                continue
            if shift.user_id is not None:
                handoff.people.add(shift.user_id)
            elif shift.team_id is not None:
                handoff.people.update(leaders.get(shift.team_id, ()))
                handoff.teams.add(shift.team_id)
        if not handoff.teams and rotation_teams.get(handoff.shift.rotation_id):
            handoff.teams.add(rotation_teams[handoff.shift.rotation_id])
    return handoffs


def due_handoffs(*, now: datetime.datetime) -> list[Plan]:
    """Return a plan per handoff message for shifts that started within the grace period."""
    since = now - seconds("NOTIFICATIONS_HANDOFF_GRACE")
    shifts = list(Shift.objects.filter(start__gt=since, start__lte=now).order_by("start", "pk"))
    handoffs = handoffs_for(shifts)
    people = recipients_for({pk for h in handoffs for pk in h.people})
    channels = team_channels({pk for h in handoffs for pk in h.teams})
    plans = []
    for handoff in handoffs:
        shift = handoff.shift
        refs = {"rotation_id": shift.rotation_id, "shift_id": shift.pk}
        for user_id in sorted(handoff.people):
            if user_id not in people:
                continue
            key = handoff_key(shift_id=shift.pk, start=shift.start, user_id=user_id)
            plans += plans_for_person(
                people[user_id],
                kind=Delivery.Kind.HANDOFF,
                key=key,
                now=now,
                occurs_at=shift.start,
                urgent=True,
                **refs,
            )
        for team_id in sorted(handoff.teams):
            if team_id not in channels:
                continue
            key = handoff_key(shift_id=shift.pk, start=shift.start, team_id=team_id)
            plans.append(
                plan_for_team(
                    channels[team_id],
                    kind=Delivery.Kind.HANDOFF,
                    key=key,
                    now=now,
                    occurs_at=shift.start,
                    urgent=True,
                    **refs,
                )
            )
    return plans
