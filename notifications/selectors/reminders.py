"""Find the shift reminders that are due: per person, the shortest lead time reached."""

import datetime

from ..conf import seconds
from ..keys import reminder_key
from ..models import Delivery
from ..plans import Plan, plan_for_team, plans_for_person
from ..recipients import longest_lead_minutes, recipients_for, team_channels
from .duties import Duty, duties_starting, members_by_team

# A team's channel hears about the team's support shift once, a day ahead.
TEAM_LEAD = 24 * 60


def due_reminders(*, now: datetime.datetime) -> list[Plan]:
    """Return a plan per reminder due at ``now`` for duty that has not started yet.

    Duty is read from the final schedule: each piece of a shift its holder keeps (a shift
    covered in full has none; one with a cover in the middle has two) and each cover is
    reminded to whoever holds it. Each person is reminded at the shortest of their lead times
    that has been reached, so a shift created an hour before it starts gets one reminder, not
    one per lead time. The key holds the source, the person, the start of the piece and the
    lead time: duty reassigned, moved or covered before its reminder is due is reminded to
    whoever holds it then, at its new start.
    """
    horizon = now + datetime.timedelta(minutes=longest_lead_minutes())
    duties = duties_starting(now, horizon)
    members = members_by_team({d.team_id for d in duties if d.team_id is not None})
    people = recipients_for({pk for d in duties for pk in d.people(members)})
    urgent_within = seconds("NOTIFICATIONS_URGENT_WITHIN")
    plans = []
    for duty in duties:
        refs = _refs(duty)
        urgent = duty.start - now <= urgent_within
        for user_id in dict.fromkeys(duty.people(members)):
            recipient = people.get(user_id)
            lead = recipient.due_lead(duty.start, now) if recipient else None
            if lead is None:
                continue
            key = reminder_key(source=duty.source, start=duty.start, lead=lead, user_id=user_id)
            plans += plans_for_person(
                recipient,
                kind=Delivery.Kind.REMINDER,
                key=key,
                now=now,
                occurs_at=duty.start,
                urgent=urgent,
                latest=duty.start,
                payload={"lead": lead, "source": duty.source},
                **refs,
            )
    team_due = [
        d
        for d in duties
        if d.team_id is not None and d.start - datetime.timedelta(minutes=TEAM_LEAD) <= now
    ]
    channels = team_channels(d.team_id for d in team_due)
    for duty in team_due:
        if duty.team_id not in channels:
            continue
        key = reminder_key(
            source=duty.source, start=duty.start, lead=TEAM_LEAD, team_id=duty.team_id
        )
        plans.append(
            plan_for_team(
                channels[duty.team_id],
                kind=Delivery.Kind.REMINDER,
                key=key,
                now=now,
                occurs_at=duty.start,
                urgent=duty.start - now <= urgent_within,
                payload={"lead": TEAM_LEAD, "source": duty.source},
                **_refs(duty),
            )
        )
    return plans


def _refs(duty: Duty) -> dict:
    return {
        "rotation_id": duty.rotation_id,
        "shift_id": duty.shift_id,
        "override_id": duty.override_id,
    }
