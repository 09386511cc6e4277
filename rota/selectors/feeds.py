"""What a calendar feed contains, and a cheap fingerprint of it for conditional GET."""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone

from ownership.models import Membership

from ..feeds import Feed, build_feed
from ..models import FeedToken, Override, Rotation, Shift
from ..routing_cache import versions as routing_versions
from .feed_events import feed_events
from .schedule import segments_for

# Feeds are a mirror for calendar apps; these defaults are overridden in settings.
DEFAULT_PAST_DAYS = 90
DEFAULT_REFRESH_MINUTES = 60


@dataclass
class FeedScope:
    """What a feed reads and whose duty it shows.

    ``shifts`` and ``overrides`` select every row of the rotations the feed touches (the
    neighbours and the covers of the feed's own duty are needed to describe it, and their
    changes must change the fingerprint); :meth:`shows` picks the duty that is the feed's.
    """

    token: FeedToken
    name: str
    timezone: str
    description: str
    shifts: Q
    overrides: Q
    window_start: datetime.datetime
    url: str = ""
    member_team_ids: tuple = ()
    busy: bool = False
    sequence_offset: int = 0
    owner_team_ids: tuple = ()

    def shows(self, rotation: Rotation, team_id, user_id) -> bool:
        """Return whether duty of this assignee on this rotation belongs in the feed."""
        kind = self.token.kind
        team_rotation = rotation.kind == Rotation.Kind.TEAM
        if kind == FeedToken.Kind.PERSON:
            if team_rotation:
                return team_id is not None and team_id in self.member_team_ids
            return user_id is not None and user_id == self.token.user_id
        if kind == FeedToken.Kind.TEAM:
            if team_rotation:
                return team_id is not None and team_id == self.token.team_id
            return rotation.team_id == self.token.team_id
        return True

    def busy_for(self, rotation: Rotation, team_id, user_id) -> bool:
        """Return whether this duty blocks the feed owner's time: their own, when they ask so.

        Someone else's shift in a team or rotation feed never makes the subscriber busy.
        """
        if not self.busy:
            return False
        if rotation.kind == Rotation.Kind.TEAM:
            return team_id is not None and team_id in self.owner_team_ids
        return user_id is not None and user_id == self.token.user_id


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


def _rotations_of(*, shifts: Q, overrides: Q, start) -> Q:
    """Select rows of the rotations where a shift or an override matching the Qs is current."""
    return Q(rotation_id__in=Shift.objects.filter(shifts, end__gt=start).values("rotation_id")) | Q(
        rotation_id__in=Override.objects.filter(overrides, end__gt=start).values("rotation_id")
    )


def feed_busy_status(*, token: FeedToken, busy: bool | None = None) -> tuple[bool, int]:
    """Return (busy, sequence offset) of the token's feed.

    ``busy`` is the feed URL's ``?busy=`` when given, else the owner's preference (kept with
    their notification preferences; free when they have none). The offset is the owner's
    ``feed_sequence``, raised each time that preference changes. No query when the token was
    loaded by ``feed_token_resolve``, which joins the preference.
    """
    try:
        preference = token.user.notification_preference
    except ObjectDoesNotExist:
        return bool(busy), 0
    return (preference.feed_busy if busy is None else busy), preference.feed_sequence


def feed_scope(*, token: FeedToken, now=None, busy: bool | None = None) -> FeedScope:
    """Which shifts and overrides the token's feed reads, and whether its owner's are busy."""
    now = now or timezone.now()
    start = _window_start(now)
    busy, offset = feed_busy_status(token=token, busy=busy)
    owner = {"busy": busy, "sequence_offset": offset}
    if busy and token.kind != FeedToken.Kind.PERSON:
        # Only the owner's own duty is busy: which support shifts are theirs.
        owner["owner_team_ids"] = tuple(
            Membership.objects.filter(user_id=token.user_id)
            .order_by("team_id")
            .values_list("team_id", flat=True)
        )
    if token.kind == FeedToken.Kind.PERSON:
        memberships = list(
            Membership.objects.filter(user=token.user).select_related("team").order_by("team__name")
        )
        team_ids = tuple(m.team_id for m in memberships)
        user = token.user
        rotations = _rotations_of(
            shifts=Q(user=user, rotation__kind=Rotation.Kind.PERSON)
            | Q(team_id__in=team_ids, rotation__kind=Rotation.Kind.TEAM),
            overrides=Q(user=user) | Q(team_id__in=team_ids),
            start=start,
        )
        return FeedScope(
            token=token,
            name=f"On call: {user.get_full_name() or user.username}",
            timezone=memberships[0].team.timezone if memberships else "UTC",
            description="Your on-call shifts and your teams' support shifts, from Rota.",
            shifts=rotations,
            overrides=rotations,
            window_start=start,
            url=reverse("my-rota"),
            member_team_ids=team_ids,
            owner_team_ids=team_ids,
            **owner,
        )
    if token.kind == FeedToken.Kind.TEAM:
        team = token.team
        rotations = Q(rotation__team=team, rotation__kind=Rotation.Kind.PERSON) | _rotations_of(
            shifts=Q(team=team), overrides=Q(team=team), start=start
        )
        return FeedScope(
            token=token,
            name=f"Rota: {team.name}",
            timezone=team.timezone,
            description=f"Support shifts of {team.name} and its on-call rotations, from Rota.",
            shifts=rotations,
            overrides=rotations,
            window_start=start,
            url=team.get_absolute_url(),
            **owner,
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
        url=rotation.team.get_absolute_url() if rotation.team_id else reverse("home"),
        **owner,
    )


def feed_state(*, token: FeedToken, now=None, busy: bool | None = None) -> FeedState:
    """The feed's fingerprint (ETag) and last change, from two aggregate queries.

    Every change to a shift or override bumps its ``updated_at`` (and ``sequence``; a cover
    added, moved or removed bumps those of the shifts under it, and a team holiday added,
    moved or removed those of the restricted duty it re-cuts), a removal lowers a count,
    renaming a rotation or team changes theirs, and the busy status and the owner's feed
    sequence are part of it, so the fingerprint changes whenever the rendered feed would.
    ``busy`` is the URL's ``?busy=`` (None: the owner's preference).
    """
    scope = feed_scope(token=token, now=now, busy=busy)
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
        "v2",
        token.key,
        token.kind,
        scope.name,
        scope.timezone,
        scope.window_start.isoformat(),
        ",".join(map(str, scope.member_team_ids)),
        f"busy={int(scope.busy)}:{scope.sequence_offset}:{scope.owner_team_ids}",
        *(str(shifts[k]) for k in ("n", "changed", "seq", "rotations", "teams")),
        *(str(overrides[k]) for k in ("n", "changed", "seq")),
    ]
    etag = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    stamps = [s for s in (shifts["changed"], overrides["changed"], shifts["rotations"]) if s] or [
        token.created_at
    ]
    return FeedState(scope=scope, etag=etag, last_modified=max(stamps))


def feed_build(*, state: FeedState) -> Feed:
    """Load the feed's rows and their final schedule and describe them as calendar events.

    Four queries whatever the number of shifts: the shifts, the overrides, and the final
    schedule of their rotations (two).
    """
    scope = state.scope
    related = ("rotation", "rotation__team", "team", "user")
    shifts = list(
        Shift.objects.filter(scope.shifts, end__gt=scope.window_start)
        .select_related(*related)
        .order_by("start", "rotation_id")
    )
    overrides = list(
        Override.objects.filter(scope.overrides, end__gt=scope.window_start)
        .select_related(*related)
        .order_by("start")
    )
    rows = [*shifts, *overrides]
    schedule = {}
    if rows:
        rotations = list({row.rotation_id: row.rotation for row in rows}.values())
        # From the first row's start, so that no shift is cut at the window's edge.
        start, end = min(r.start for r in rows), max(r.end for r in rows)
        schedule = segments_for(rotations, start, end)
    events = feed_events(scope=scope, shifts=shifts, overrides=overrides, schedule=schedule)
    refresh = getattr(settings, "ROTA_FEED_REFRESH_MINUTES", DEFAULT_REFRESH_MINUTES)
    return Feed(
        name=scope.name,
        timezone=scope.timezone,
        events=events,
        description=scope.description,
        url=f"{settings.SITE_URL}{scope.url}",
        refresh=datetime.timedelta(minutes=refresh),
    )


# --- Conditional GET and the rendered body, cached -----------------------------------------

FEED_CACHE_SECONDS = 24 * 60 * 60


@dataclass
class FeedVersion:
    fingerprint: str
    last_modified: int  # a POSIX timestamp in whole seconds, as HTTP dates have
    state: FeedState | None = None  # loaded when the fingerprint had to be computed
    busy: bool = False  # the busy status the fingerprint is of


def feed_version(*, token: FeedToken, now=None, busy: bool | None = None) -> FeedVersion:
    """The feed's ETag fingerprint and Last-Modified, usually from the cache (two queries).

    The fingerprint only changes with the rota or the catalog (both replace a version tag on
    every write), with the day (the window moves) or with the busy status and the owner's
    feed sequence (read with the token), so it is kept per those. Last-Modified is when a
    fingerprint was first served: a removed shift changes the fingerprint but need not raise
    any stored timestamp. ``busy`` is the URL's ``?busy=`` (None: the owner's preference).
    """
    now = now or timezone.now()
    rota_tag, catalog_tag = routing_versions()
    shown_busy, offset = feed_busy_status(token=token, busy=busy)
    key = (
        f"rota:feed:state:{token.key}:{rota_tag}:{catalog_tag}:{now:%Y%m%d}"
        f":{int(shown_busy)}:{offset}"
    )
    state = None
    known = cache.get(key)
    if known is None:
        state = feed_state(token=token, now=now, busy=shown_busy)
        known = (state.etag, state.last_modified)
        cache.set(key, known, FEED_CACHE_SECONDS)
    fingerprint, changed = known
    seen_key = f"rota:feed:seen:{fingerprint}"
    first_seen = int(max(changed, now).timestamp())
    cache.add(seen_key, first_seen, FEED_CACHE_SECONDS)
    return FeedVersion(fingerprint, cache.get(seen_key, first_seen), state, shown_busy)


def feed_body(*, token: FeedToken, version: FeedVersion) -> bytes:
    """The feed as iCalendar bytes, rendered once per fingerprint."""
    key = f"rota:feed:{version.fingerprint}"
    body = cache.get(key)
    if body is None:
        state = version.state or feed_state(token=token, busy=version.busy)
        body = build_feed(feed_build(state=state))
        cache.set(key, body, FEED_CACHE_SECONDS)
    return body
