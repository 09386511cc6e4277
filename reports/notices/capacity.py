"""Find the teams whose support load passed a threshold of their sprint buffer.

A team is told once per threshold per sprint: its managers personally and, unless the team
switched it off, a chat channel (the team capacity's alert webhook, else the team's). When
the load jumps over several thresholds between two scans only the highest is told, and a
lower threshold is never told after a higher one in the same sprint.
"""

import datetime
from collections.abc import Iterable

from core.timeutil import zone
from notifications.conf import setting
from notifications.keys import capacity_key
from notifications.models import Delivery
from notifications.plans import Plan, plan_for_team, plans_for_person
from notifications.recipients import TeamChannel, recipients_for
from notifications.selectors.duties import members_by_team
from ownership.models import Membership, Team

from ..capacity import BufferNow, buffers_now
from ..models import TeamCapacity


def _passed(buffer: BufferNow, thresholds) -> int | None:
    """Return the highest threshold the team's load reached, or None."""
    if buffer.used_percent is None or buffer.buffer_hours <= 0:
        return None  # no buffer planned: nothing to run out of
    reached = [t for t in thresholds if buffer.used_percent >= t]
    return max(reached) if reached else None


def _told(starts) -> dict[tuple[int, datetime.datetime], int]:
    """Return the highest threshold told so far per (team, sprint start)."""
    told: dict[tuple[int, datetime.datetime], int] = {}
    rows = Delivery.objects.filter(kind=Delivery.Kind.CAPACITY, occurs_at__in=starts)
    for key, occurs_at in rows.values_list("key", "occurs_at"):
        _, team, _, threshold, _ = key.split("/", 4)
        ident = (int(team.removeprefix("team-")), occurs_at)
        told[ident] = max(told.get(ident, 0), int(threshold))
    return told


def payload_of(buffer: BufferNow, threshold: int) -> dict:
    return {
        "team_id": buffer.team_id,
        "team": buffer.team,
        "team_name": buffer.team_name,
        "threshold": threshold,
        "sprint": buffer.sprint,
        "first_day": buffer.first_day.isoformat(),
        "last_day": buffer.last_day.isoformat(),
        "at": buffer.at.isoformat(),
        "buffer_percent": buffer.buffer_percent,
        "capacity_hours": buffer.capacity_hours,
        "buffer_hours": buffer.buffer_hours,
        "support_hours": buffer.support_hours,
        "used_percent": buffer.used_percent,
    }


def capacity_alerts(*, now: datetime.datetime) -> list[Plan]:
    """Return the plans of the buffer alerts due now (see the module docstring)."""
    thresholds = sorted(setting("NOTIFICATIONS_CAPACITY_THRESHOLDS"))
    due = {}
    for team_id, buffer in buffers_now(now=now).items():
        threshold = _passed(buffer, thresholds)
        if threshold is not None:
            due[team_id] = (buffer, threshold)
    if not due:
        return []
    told = _told({buffer.start for buffer, _ in due.values()})
    due = {
        team_id: (buffer, threshold)
        for team_id, (buffer, threshold) in due.items()
        if told.get((team_id, buffer.start), 0) <= threshold
    }
    managers = members_by_team(due, roles=[Membership.Role.MANAGER])
    people = recipients_for({u for ids in managers.values() for u in ids})
    channels = alert_channels(due)
    plans = []
    for team_id, (buffer, threshold) in sorted(due.items()):
        payload = payload_of(buffer, threshold)
        common = {"team_id": team_id, "sprint_start": buffer.first_day, "threshold": threshold}
        for user_id in managers.get(team_id, ()):
            if user_id not in people:
                continue
            plans += plans_for_person(
                people[user_id],
                kind=Delivery.Kind.CAPACITY,
                key=capacity_key(**common, user_id=user_id),
                now=now,
                occurs_at=buffer.start,
                urgent=False,
                payload=payload,
            )
        if team_id in channels:
            plans.append(
                plan_for_team(
                    channels[team_id],
                    kind=Delivery.Kind.CAPACITY,
                    key=capacity_key(**common, channel_of=team_id),
                    now=now,
                    occurs_at=buffer.start,
                    urgent=False,
                    payload=payload,
                )
            )
    return plans


def alert_channels(team_ids: Iterable[int]) -> dict[int, TeamChannel]:
    """Return where each team's buffer alerts are posted: the team capacity's alert webhook,
    else the team's chat webhook; none where the team switched chat alerts off."""
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    settings_of = {
        row.team_id: row
        for row in TeamCapacity.objects.filter(team_id__in=ids).only(
            "team_id", "alert_chat", "alert_webhook_url"
        )
    }
    found = {}
    for team in Team.objects.filter(pk__in=ids).only("id", "name", "timezone", "chat_webhook_url"):
        capacity = settings_of.get(team.pk)
        if capacity is not None and not capacity.alert_chat:
            continue
        url = (capacity.alert_webhook_url if capacity else "") or team.chat_webhook_url
        if url:
            found[team.pk] = TeamChannel(team.pk, team.name, zone(team.timezone), url)
    return found
