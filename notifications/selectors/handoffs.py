"""Find the handoffs that are due: tell who takes over a rotation, and from whom.

Who hands over and who takes over come from the final schedule: a cover over the handoff
instant means the person covering hands over (or takes over), and the start and the end of a
cover are handoffs of their own. A handoff at a shift boundary that a cover spans changes no
hands and sends nothing.
"""

import datetime
from dataclasses import dataclass, field

from rota.models import Override, Rotation, Shift
from rota.selectors.duty import LOOKBACK, Piece, handover, pieces, source_of
from rota.selectors.schedule import Segment, segments_for

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
    told, and both teams' channels (the engineers were reminded before the duty started).
    ``piece`` is the incoming holder's piece of duty (its end is only known as far as the
    schedule was read).
    """

    rotation: Rotation
    at: datetime.datetime
    outgoing: Segment | None
    incoming: Segment
    piece: Piece
    people: set[int] = field(default_factory=set)
    teams: set[int] = field(default_factory=set)

    @property
    def source(self) -> str:
        return source_of(self.incoming)

    def key_for(self, *, user_id=None, team_id=None) -> str:
        return handoff_key(
            source=self.source, start=self.incoming.start, user_id=user_id, team_id=team_id
        )


def handoffs_for(moments, *, until: datetime.datetime | None = None) -> list[Handoff]:
    """Return the handoff at each (rotation, instant) where hands change, in a few queries.

    An instant where one segment of the final schedule runs on (a cover spanning a shift
    boundary) or where nobody takes over has no handoff. ``until`` reads the schedule that far
    so that the incoming pieces are whole.
    """
    moments = sorted(set(moments), key=lambda m: (m[1], m[0].pk))
    if not moments:
        return []
    rotations = list({rotation.pk: rotation for rotation, _ in moments}.values())
    first, last = moments[0][1], max(at for _, at in moments)
    schedule = segments_for(rotations, first - LOOKBACK, max(last + LOOKBACK, until or last))
    handoffs = []
    for rotation, at in moments:
        segments = schedule[rotation.pk]
        outgoing, incoming = handover(rotation, segments, at)
        if incoming is None:
            continue  # nobody takes over: the rota has ended or has a gap from here
        if outgoing is not None and source_of(outgoing) == source_of(incoming):
            continue  # one shift or cover runs on (across the instant, or its off-hours)
        piece = next(
            p
            for p in pieces(segments)
            if p.source == source_of(incoming) and (incoming.start, incoming.end) in p.spans
        )
        handoffs.append(Handoff(rotation, at, outgoing, incoming, piece))
    team_ids = {
        s.team.pk for h in handoffs for s in (h.incoming, h.outgoing) if s and s.team is not None
    }
    leaders = members_by_team(team_ids, roles=HANDOFF_ROLES)
    for handoff in handoffs:
        for side in (handoff.incoming, handoff.outgoing):
            if side is None:
                continue
            if side.user is not None:
                handoff.people.add(side.user.pk)
            elif side.team is not None:
                handoff.people.update(leaders.get(side.team.pk, ()))
                handoff.teams.add(side.team.pk)
        if not handoff.teams and handoff.rotation.team_id:
            handoff.teams.add(handoff.rotation.team_id)
    # Two instants of one off-hours stretch (a shift starting at 08:00 and a cover at 08:30,
    # duty opening at 09:00) hand over to the same segment: that is one handoff.
    unique = {}
    for handoff in handoffs:
        unique.setdefault((handoff.rotation.pk, handoff.source, handoff.incoming.start), handoff)
    return list(unique.values())


def handoff_moments(since: datetime.datetime, now: datetime.datetime) -> list[tuple]:
    """Return (rotation, instant) for every shift start and cover start or end in (since, now]."""
    # One UNION query; compound statements take no ORDER BY, hence the empty order_by().
    shift_starts = Shift.objects.filter(start__gt=since, start__lte=now).order_by()
    cover_starts = Override.objects.filter(start__gt=since, start__lte=now).order_by()
    cover_ends = Override.objects.filter(end__gt=since, end__lte=now).order_by()
    instants = set(
        shift_starts.values_list("rotation_id", "start").union(
            cover_starts.values_list("rotation_id", "start"),
            cover_ends.values_list("rotation_id", "end"),
        )
    )
    if not instants:
        return []
    rotations = Rotation.objects.in_bulk({rotation_id for rotation_id, _ in instants})
    return [(rotations[rotation_id], at) for rotation_id, at in instants]


def due_handoffs(*, now: datetime.datetime) -> list[Plan]:
    """Return a plan per handoff message for handoffs that happened within the grace period."""
    since = now - seconds("NOTIFICATIONS_HANDOFF_GRACE")
    handoffs = handoffs_for(handoff_moments(since, now))
    people = recipients_for({pk for h in handoffs for pk in h.people})
    channels = team_channels({pk for h in handoffs for pk in h.teams})
    plans = []
    for handoff in handoffs:
        incoming = handoff.incoming
        refs = {
            "rotation_id": handoff.rotation.pk,
            "shift_id": incoming.shift_id,
            "override_id": incoming.override_id,
            "payload": {"source": handoff.source, "start": incoming.start.isoformat()},
        }
        for user_id in sorted(handoff.people):
            if user_id not in people:
                continue
            plans += plans_for_person(
                people[user_id],
                kind=Delivery.Kind.HANDOFF,
                key=handoff.key_for(user_id=user_id),
                now=now,
                occurs_at=handoff.at,
                urgent=True,
                **refs,
            )
        for team_id in sorted(handoff.teams):
            if team_id not in channels:
                continue
            plans.append(
                plan_for_team(
                    channels[team_id],
                    kind=Delivery.Kind.HANDOFF,
                    key=handoff.key_for(team_id=team_id),
                    now=now,
                    occurs_at=handoff.at,
                    urgent=True,
                    **refs,
                )
            )
    return plans
