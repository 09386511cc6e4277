"""Find the bug investigations whose timebox just ran out, and who to tell.

The investigator and the fixing team's leads (its managers when it has no lead) are told
once per timebox: a timebox made longer afterwards ends again later, and that end is told
too. A timebox that ran out more than ``NOTIFICATIONS_TIMEBOX_GRACE`` ago (the scanner was
down) is not told any more; the weekly triage agenda lists it.
"""

import datetime

from notifications.conf import seconds
from notifications.keys import timebox_key
from notifications.models import Delivery
from notifications.plans import Plan, plans_for_person
from notifications.recipients import recipients_for
from notifications.selectors.duties import members_by_team
from ownership.models import Membership
from ownership.selectors import LEADER_ROLES

from ..models import Bug


def team_leaders(team_ids) -> dict[int, list[int]]:
    """Return each team's leads, or its managers for a team without a lead."""
    found = members_by_team(team_ids, roles=LEADER_ROLES)
    leads = members_by_team(found, roles=[Membership.Role.LEAD])
    return {team_id: leads.get(team_id) or people for team_id, people in found.items()}


def timebox_readers(bug_investigator_id, team_id, leaders) -> list[int]:
    """Return who hears that a bug's timebox ran out: its investigator and its team's leads."""
    people = [bug_investigator_id] if bug_investigator_id else []
    people += [pk for pk in leaders.get(team_id, ()) if pk not in people]
    return people


def timeboxes_run_out(*, now: datetime.datetime) -> list[Plan]:
    """Return a plan per person to tell about each timebox that ran out within the grace."""
    since = now - seconds("NOTIFICATIONS_TIMEBOX_GRACE")
    bugs = list(
        Bug.objects.filter(
            outcome="",
            investigation_finished_at__isnull=True,
            timebox_ends_at__gt=since,
            timebox_ends_at__lte=now,
        )
        .order_by("timebox_ends_at", "pk")
        .values_list("pk", "team_id", "investigator_id", "timebox_ends_at")
    )
    if not bugs:
        return []
    leaders = team_leaders({team_id for _, team_id, _, _ in bugs if team_id})
    readers = {pk: timebox_readers(inv, team_id, leaders) for pk, team_id, inv, _ in bugs}
    people = recipients_for({u for ids in readers.values() for u in ids})
    plans = []
    for pk, _, _, ends_at in bugs:
        for user_id in readers[pk]:
            if user_id not in people:
                continue
            plans += plans_for_person(
                people[user_id],
                kind=Delivery.Kind.TIMEBOX,
                key=timebox_key(bug_id=pk, ends_at=ends_at, user_id=user_id),
                now=now,
                occurs_at=ends_at,
                urgent=False,
                payload={"bug": pk},
            )
    return plans
