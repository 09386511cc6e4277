"""Who receives messages and how: preferences resolved into plain values, loaded in bulk."""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model

from core.timeutil import local_at, zone
from ownership.models import Membership, Team

from .models import DEFAULT_LEAD_TIMES, KIND_SWITCHES, Delivery, NotificationPreference

CHUNK = 2000


def chunked(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    """Yield lists of at most ``size`` items (keeps IN clauses within database limits)."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Recipient:
    """A person with their preferences applied (defaults where they set none)."""

    user_id: int
    username: str
    name: str
    email: str
    tz: ZoneInfo
    lead_times: tuple[int, ...] = DEFAULT_LEAD_TIMES
    email_enabled: bool = True
    chat_url: str = ""
    quiet_start: datetime.time | None = None
    quiet_end: datetime.time | None = None
    muted: frozenset = frozenset()  # kinds of message the person switched off

    def wants(self, kind: str) -> bool:
        """Return whether the person takes messages of ``kind`` (see KIND_SWITCHES)."""
        return kind not in self.muted

    def channels(self) -> list[str]:
        """Return the channels this person is reached by (may be empty)."""
        found = []
        if self.email_enabled and self.email:
            found.append(Delivery.Channel.EMAIL)
        if self.chat_url:
            found.append(Delivery.Channel.CHAT)
        return found

    def address(self, channel: str) -> str:
        """Return where a message on ``channel`` goes now, or "" if the channel is off."""
        if channel == Delivery.Channel.EMAIL:
            return self.email if self.email_enabled else ""
        return self.chat_url

    def due_lead(self, start: datetime.datetime, now: datetime.datetime) -> int | None:
        """Return the shortest lead time (minutes) whose moment has come, None if none has."""
        for lead in sorted(self.lead_times):
            if start - datetime.timedelta(minutes=lead) <= now:
                return lead
        return None

    def in_quiet_hours(self, instant: datetime.datetime) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = instant.astimezone(self.tz).time()
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def release_at(self, now: datetime.datetime, *, urgent: bool) -> datetime.datetime:
        """Return when a message found at ``now`` may go out: now, or when quiet hours end."""
        if urgent or not self.in_quiet_hours(now):
            return now
        day = now.astimezone(self.tz).date()
        end = local_at(day, self.quiet_end, self.tz)
        if end <= now:
            end = local_at(day + datetime.timedelta(days=1), self.quiet_end, self.tz)
        return end


@dataclass(frozen=True)
class TeamChannel:
    """A team's chat channel."""

    team_id: int
    name: str
    tz: ZoneInfo
    webhook_url: str


def default_zone() -> ZoneInfo:
    return zone(settings.TIME_ZONE or "UTC")


def _recipient(user, pref, team_zone: str | None) -> Recipient:
    name = user.get_full_name() or user.get_username()
    tz_name = (pref.timezone if pref else "") or team_zone
    tz = zone(tz_name) if tz_name else default_zone()
    if pref is None:
        return Recipient(user.pk, user.get_username(), name, user.email or "", tz)
    return Recipient(
        user.pk,
        user.get_username(),
        name,
        user.email or "",
        tz,
        lead_times=tuple(pref.lead_times or DEFAULT_LEAD_TIMES),
        email_enabled=pref.email_enabled,
        chat_url=pref.chat_webhook_url if pref.chat_enabled else "",
        quiet_start=pref.quiet_hours_start,
        quiet_end=pref.quiet_hours_end,
        muted=frozenset(kind for kind, name in KIND_SWITCHES.items() if not getattr(pref, name)),
    )


def team_zones(user_ids: Iterable[int]) -> dict[int, str]:
    """Return each person's first team's time zone (teams by name), for those in a team."""
    zones: dict[int, str] = {}
    for ids in chunked(user_ids):
        rows = (
            Membership.objects.filter(user_id__in=ids)
            .order_by("user_id", "team__name")
            .values_list("user_id", "team__timezone")
        )
        for user_id, tz_name in rows:
            zones.setdefault(user_id, tz_name)
    return zones


def recipients_for(user_ids: Iterable[int]) -> dict[int, Recipient]:
    """Return the active people among ``user_ids`` with their preferences, in a few queries."""
    ids = sorted(set(user_ids))
    users = []
    for batch in chunked(ids):
        users += list(
            get_user_model()
            .objects.filter(pk__in=batch, is_active=True)
            .select_related("notification_preference")
        )
    prefs = {user.pk: _preference_or_none(user) for user in users}
    need_zone = [pk for pk, pref in prefs.items() if pref is None or not pref.timezone]
    zones = team_zones(need_zone)
    return {user.pk: _recipient(user, prefs[user.pk], zones.get(user.pk)) for user in users}


def recipient_for(user) -> Recipient | None:
    """Return one person as a recipient (None if the account is inactive)."""
    return recipients_for([user.pk]).get(user.pk)


def _preference_or_none(user) -> NotificationPreference | None:
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return None


def team_channels(team_ids: Iterable[int]) -> dict[int, TeamChannel]:
    """Return the teams among ``team_ids`` that have a chat webhook."""
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    teams = Team.objects.filter(pk__in=ids).exclude(chat_webhook_url="")
    return {
        team.pk: TeamChannel(team.pk, team.name, zone(team.timezone), team.chat_webhook_url)
        for team in teams.only("id", "name", "timezone", "chat_webhook_url")
    }


def longest_lead_minutes() -> int:
    """Return the longest lead time anyone asked for (bounds the reminder scan)."""
    longest = max(DEFAULT_LEAD_TIMES)
    for leads in NotificationPreference.objects.values_list("lead_times", flat=True):
        if leads:
            longest = max(longest, *leads)
    return longest
