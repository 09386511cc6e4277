"""Find the teams whose weekly triage meeting is near, and who gets its agenda.

The agenda goes out at 08:00 in the team's time zone on the day of the meeting or, for a
meeting that starts before 09:00, one hour before it; it is sent until the meeting starts,
once per team, person and meeting date. Its readers are the team's leads and managers, and
a team with nothing undecided gets no agenda.
"""

import datetime

from django.db.models import Count

from core.timeutil import ONE_DAY, local_at, zone
from notifications.keys import triage_key
from notifications.models import Delivery
from notifications.plans import Plan, plans_for_person
from notifications.recipients import recipients_for
from notifications.selectors.duties import members_by_team
from ownership.models import Team
from ownership.selectors import LEADER_ROLES

from ..models import Bug

AGENDA_TIME = datetime.time(8, 0)
AGENDA_BEFORE = datetime.timedelta(hours=1)
AGENDA_ROLES = LEADER_ROLES


def meeting_at(team: Team, day: datetime.date) -> datetime.datetime | None:
    """Return when the team's triage meeting starts on ``day`` (its date), or None that day."""
    if team.triage_weekday is None or day.weekday() != team.triage_weekday:
        return None
    return local_at(day, team.triage_time, zone(team.timezone))


def agenda_at(team: Team, day: datetime.date) -> datetime.datetime | None:
    """Return when the agenda of the meeting on ``day`` goes out (see the module docstring)."""
    meeting = meeting_at(team, day)
    if meeting is None:
        return None
    return min(local_at(day, AGENDA_TIME, zone(team.timezone)), meeting - AGENDA_BEFORE)


def meetings_due(*, now: datetime.datetime, teams=None) -> list[tuple[Team, datetime.date]]:
    """Return (team, meeting date) for each meeting whose agenda is due at ``now``."""
    if teams is None:
        teams = Team.objects.exclude(triage_day="").only(
            "id", "name", "slug", "timezone", "triage_day", "triage_time"
        )
    due = []
    for team in teams:
        today = now.astimezone(zone(team.timezone)).date()
        # An early meeting's agenda goes out the evening before (its one hour ahead).
        for day in (today, today + ONE_DAY):
            meeting, send = meeting_at(team, day), agenda_at(team, day)
            if meeting is not None and send <= now < meeting:
                due.append((team, day))
    return due


def triage_agendas(*, now: datetime.datetime) -> list[Plan]:
    """Return a plan per lead and manager of each team whose triage agenda is due now."""
    due = meetings_due(now=now)
    if not due:
        return []
    waiting = dict(
        Bug.objects.filter(team_id__in=[team.pk for team, _ in due], outcome="", source="")
        .values_list("team_id")
        .annotate(count=Count("id"))
        .values_list("team_id", "count")
    )
    due = [(team, day) for team, day in due if waiting.get(team.pk)]
    readers = members_by_team([team.pk for team, _ in due], roles=AGENDA_ROLES)
    people = recipients_for({u for ids in readers.values() for u in ids})
    plans = []
    for team, day in due:
        meeting = meeting_at(team, day)
        for user_id in readers.get(team.pk, ()):
            if user_id not in people:
                continue
            plans += plans_for_person(
                people[user_id],
                kind=Delivery.Kind.TRIAGE,
                key=triage_key(team_id=team.pk, day=day, user_id=user_id),
                now=now,
                occurs_at=meeting,
                urgent=False,
                latest=meeting,
                payload={"team_id": team.pk, "day": day.isoformat()},
            )
    return plans
