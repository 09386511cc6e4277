"""What a calendar feed contains, and a cheap fingerprint of it for conditional GET."""

import datetime
import hashlib
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from ownership.models import Membership

from ..feeds import Feed, FeedEvent, build_feed
from ..models import FeedToken, Override, Rotation, Shift
from ..routing import versions as routing_versions

# Feeds are a mirror for calendar apps; these defaults are overridden in settings.
DEFAULT_PAST_DAYS = 90
DEFAULT_REFRESH_MINUTES = 60


@dataclass
class FeedScope:
    token: FeedToken
    name: str
    timezone: str
    description: str
    shifts: Q
    overrides: Q
    window_start: datetime.datetime
    member_team_ids: tuple = ()


@dataclass
class FeedState:
    scope: FeedScope
    etag: str
    last_modified: datetime.datetime


def _window_start(now) -> datetime.datetime:
    days = getattr(settings, "ROTA_FEED_PAST_DAYS", DEFAULT_PAST_DAYS)
    start = (now - datetime.timedelta(days=days)).astimezone(datetime.UTC)
    # Whole days, so the fingerprint (and the cache) only change once a day with time.
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def feed_scope(*, token: FeedToken, now=None) -> FeedScope:
    """Which shifts and overrides the token's feed shows."""
    now = now or timezone.now()
    start = _window_start(now)
    if token.kind == FeedToken.Kind.PERSON:
        memberships = list(
            Membership.objects.filter(user=token.user).select_related("team").order_by("team__name")
        )
        team_ids = tuple(m.team_id for m in memberships)
        user = token.user
        mine = Shift.objects.filter(user=user, end__gt=start).values("rotation_id")
        return FeedScope(
            token=token,
            name=f"On call: {user.get_full_name() or user.username}",
            timezone=memberships[0].team.timezone if memberships else "UTC",
            description="Your on-call shifts and your teams' support shifts, from Rota.",
            shifts=Q(user=user, rotation__kind=Rotation.Kind.PERSON)
            | Q(team_id__in=team_ids, rotation__kind=Rotation.Kind.TEAM),
            overrides=Q(user=user) | Q(rotation_id__in=Subquery(mine)),
            window_start=start,
            member_team_ids=team_ids,
        )
    if token.kind == FeedToken.Kind.TEAM:
        team = token.team
        return FeedScope(
            token=token,
            name=f"Rota: {team.name}",
            timezone=team.timezone,
            description=f"Support shifts of {team.name} and its on-call rotations, from Rota.",
            shifts=Q(team=team) | Q(rotation__team=team, rotation__kind=Rotation.Kind.PERSON),
            overrides=Q(rotation__team=team) | Q(team=team),
            window_start=start,
        )
    rotation = token.rotation
    return FeedScope(
        token=token,
        name=f"Rota: {rotation.name}",
        timezone=rotation.timezone,
        description=f"Every shift of {rotation.name}, from Rota.",
        shifts=Q(rotation=rotation),
        overrides=Q(rotation=rotation),
        window_start=start,
    )


def feed_state(*, token: FeedToken, now=None) -> FeedState:
    """The feed's fingerprint (ETag) and last change, from two aggregate queries.

    Every change to a shift or override bumps its ``updated_at`` (and ``sequence``), a
    removal lowers a count, and renaming a rotation or team changes theirs, so the
    fingerprint changes whenever the rendered feed would.
    """
    scope = feed_scope(token=token, now=now)
    shifts = Shift.objects.filter(scope.shifts, end__gt=scope.window_start).aggregate(
        n=Count("id"),
        changed=Max("updated_at"),
        seq=Sum("sequence"),
        rotations=Max("rotation__updated_at"),
        teams=Max("team__updated_at"),
    )
    overrides = Override.objects.filter(scope.overrides, end__gt=scope.window_start).aggregate(
        n=Count("id"), changed=Max("updated_at"), seq=Sum("sequence")
    )
    parts = [
        "v1",
        token.key,
        token.kind,
        scope.name,
        scope.timezone,
        scope.window_start.isoformat(),
        ",".join(map(str, scope.member_team_ids)),
        *(str(shifts[k]) for k in ("n", "changed", "seq", "rotations", "teams")),
        *(str(overrides[k]) for k in ("n", "changed", "seq")),
    ]
    etag = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    stamps = [s for s in (shifts["changed"], overrides["changed"], shifts["rotations"]) if s] or [
        token.created_at
    ]
    return FeedState(scope=scope, etag=etag, last_modified=max(stamps))


def _fmt(value: datetime.datetime, zone: str) -> str:
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return local.strftime("%a %d %b %Y %H:%M %Z")


def _who(shift) -> str:
    if shift.user_id:
        return shift.user.get_full_name() or shift.user.username
    if shift.team_id:
        return shift.team.name
    return "nobody"


def _neighbours(shifts) -> tuple[dict, dict]:
    """The shift before and after each given shift in its rotation (for handoff partners)."""
    person = [s for s in shifts if s.rotation.kind == Rotation.Kind.PERSON]
    before, after = {}, {}
    for offset in range(0, len(person), 400):
        chunk = person[offset : offset + 400]
        rotation_ids = {s.rotation_id for s in chunk}
        found = (
            Shift.objects.filter(rotation_id__in=rotation_ids)
            .filter(Q(end__in=[s.start for s in chunk]) | Q(start__in=[s.end for s in chunk]))
            .select_related("user", "team")
        )
        for other in found:
            before[(other.rotation_id, other.end)] = other
            after[(other.rotation_id, other.start)] = other
    return before, after


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def feed_build(*, state: FeedState) -> Feed:
    """Load the feed's shifts and overrides and describe them as calendar events."""
    scope = state.scope
    token = scope.token
    shifts = list(
        Shift.objects.filter(scope.shifts, end__gt=scope.window_start)
        .select_related("rotation", "rotation__team", "team", "user")
        .order_by("start", "rotation_id")
    )
    overrides = list(
        Override.objects.filter(scope.overrides, end__gt=scope.window_start)
        .select_related("rotation", "rotation__team", "user", "team")
        .order_by("start")
    )
    is_person_feed = token.kind == FeedToken.Kind.PERSON
    before, after = _neighbours(shifts) if is_person_feed else ({}, {})
    covering = {}
    for override in overrides:
        covering.setdefault(override.rotation_id, []).append(override)

    host = urlsplit(settings.SITE_URL).hostname or "rota"
    team_links = {}  # reverse() is slow enough to matter over hundreds of events
    events = []
    for shift in shifts:
        rotation = shift.rotation
        team_shift = rotation.kind == Rotation.Kind.TEAM
        if team_shift:
            summary = f"{shift.team.name if shift.team_id else 'Nobody'} on support"
            if is_person_feed:
                summary = f"[Team support] {summary}"
        elif is_person_feed:
            summary = f"On call: {rotation.name} ({rotation.get_role_display().lower()})"
        else:
            summary = f"{_who(shift)} on call ({rotation.get_role_display().lower()})"
        lines = [
            f"Rotation: {rotation.name} ({rotation.get_kind_display().lower()}, "
            f"{rotation.get_role_display().lower()})",
        ]
        if rotation.team_id:
            lines.append(f"Team: {rotation.team.name}")
        lines.append(f"On duty: {_who(shift)}")
        lines.append(
            f"From {_fmt(shift.start, rotation.timezone)} to {_fmt(shift.end, rotation.timezone)}"
        )
        previous = before.get((shift.rotation_id, shift.start))
        following = after.get((shift.rotation_id, shift.end))
        if previous is not None:
            lines.append(f"Takes over from: {_who(previous)}{_email(previous, token)}")
        if following is not None:
            lines.append(f"Hands over to: {_who(following)}{_email(following, token)}")
        for override in covering.get(shift.rotation_id, ()):
            if (
                override.start < shift.end
                and override.end > shift.start
                and (override.user_id != shift.user_id or override.team_id != shift.team_id)
            ):
                who = override.user or override.team
                lines.append(
                    f"Covered by {who} from {_fmt(override.start, rotation.timezone)} "
                    f"to {_fmt(override.end, rotation.timezone)}"
                )
        if shift.edited:
            lines.append("Changed by hand in Rota.")
        link_team = shift.team if (shift.team_id and team_shift) else rotation.team
        url = team_links.get(link_team.pk if link_team else None)
        if url is None:
            url = _link(link_team.get_absolute_url() if link_team else reverse("home"))
            team_links[link_team.pk if link_team else None] = url
        events.append(
            FeedEvent(
                uid=f"shift-{shift.pk}@{host}",
                start=shift.start,
                end=shift.end,
                summary=summary,
                timezone=rotation.timezone,
                description="\n".join(lines + [url]),
                url=url,
                sequence=shift.sequence,
                stamp=shift.updated_at,
                created=shift.created_at,
                categories=("Team support",) if team_shift else ("On call",),
            )
        )
    for override in overrides:
        if is_person_feed and override.user_id != token.user_id:
            continue  # shown on the covered shift's description instead
        rotation = override.rotation
        who = override.user.get_full_name() if override.user_id else str(override.team)
        summary = (
            f"Covering: {rotation.name}"
            if is_person_feed
            else f"{who or override.user} covering ({rotation.name})"
        )
        description = [f"Rotation: {rotation.name}", f"Cover by: {who or override.user}"]
        if override.reason:
            description.append(f"Reason: {override.reason}")
        events.append(
            FeedEvent(
                uid=f"override-{override.pk}@{host}",
                start=override.start,
                end=override.end,
                summary=summary,
                timezone=rotation.timezone,
                description="\n".join(description),
                sequence=override.sequence,
                stamp=override.updated_at,
                created=override.created_at,
                categories=("Cover",),
            )
        )
    refresh = getattr(settings, "ROTA_FEED_REFRESH_MINUTES", DEFAULT_REFRESH_MINUTES)
    return Feed(
        name=scope.name,
        timezone=scope.timezone,
        events=events,
        description=scope.description,
        url=_link(reverse("home")),
        refresh=datetime.timedelta(minutes=refresh),
    )


def _email(shift, token) -> str:
    # Contact details only in a person's own feed: team and rotation feeds get shared.
    if token.kind == FeedToken.Kind.PERSON and shift.user_id and shift.user.email:
        return f" <{shift.user.email}>"
    return ""


# --- Conditional GET and the rendered body, cached -----------------------------------------

FEED_CACHE_SECONDS = 24 * 60 * 60


@dataclass
class FeedVersion:
    fingerprint: str
    last_modified: int  # a POSIX timestamp in whole seconds, as HTTP dates have
    state: FeedState | None = None  # loaded when the fingerprint had to be computed


def feed_version(*, token: FeedToken, now=None) -> FeedVersion:
    """The feed's ETag fingerprint and Last-Modified, usually from the cache (two queries).

    The fingerprint only changes with the rota or the catalog (both replace a version tag on
    every write) or with the day (the window moves), so it is kept per tags and day.
    Last-Modified is when a fingerprint was first served: a removed shift changes the
    fingerprint but need not raise any stored timestamp.
    """
    now = now or timezone.now()
    rota_tag, catalog_tag = routing_versions()
    key = f"rota:feed:state:{token.key}:{rota_tag}:{catalog_tag}:{now:%Y%m%d}"
    state = None
    known = cache.get(key)
    if known is None:
        state = feed_state(token=token, now=now)
        known = (state.etag, state.last_modified)
        cache.set(key, known, FEED_CACHE_SECONDS)
    fingerprint, changed = known
    seen_key = f"rota:feed:seen:{fingerprint}"
    first_seen = int(max(changed, now).timestamp())
    cache.add(seen_key, first_seen, FEED_CACHE_SECONDS)
    return FeedVersion(fingerprint, cache.get(seen_key, first_seen), state)


def feed_body(*, token: FeedToken, version: FeedVersion) -> bytes:
    """The feed as iCalendar bytes, rendered once per fingerprint."""
    key = f"rota:feed:{version.fingerprint}"
    body = cache.get(key)
    if body is None:
        body = build_feed(feed_build(state=version.state or feed_state(token=token)))
        cache.set(key, body, FEED_CACHE_SECONDS)
    return body
