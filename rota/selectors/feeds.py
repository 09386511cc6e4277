"""What a calendar feed contains, and a cheap fingerprint of it for conditional GET."""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Max, Min, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from ownership.models import CatalogVersion, Membership

from ..feeds import Feed, build_feed
from ..models import FeedToken, Override, Rotation, RotaVersion, Shift, ShiftChange
from ..routing_cache import versions as routing_versions
from .feed_events import feed_events, load_rows
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
    # The first start and last end of the rows the feed shows (None: no rows).
    first_start: datetime.datetime | None = None
    last_end: datetime.datetime | None = None


def _window_start(now) -> datetime.datetime:
    start = (now - datetime.timedelta(days=_past_days())).astimezone(datetime.UTC)
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


def _past_days() -> int:
    return getattr(settings, "ROTA_FEED_PAST_DAYS", DEFAULT_PAST_DAYS)


def feed_state(*, token: FeedToken, now=None, busy: bool | None = None) -> FeedState:
    """The feed's fingerprint (ETag) and last change (Last-Modified), from four queries.

    Every change to a shift or override bumps its ``updated_at`` (and ``sequence``; a cover
    added, moved or removed bumps those of the shifts under it, and a team holiday added,
    moved or removed those of the restricted duty it re-cuts), a removal lowers a count and
    leaves a dated ``ShiftChange`` row, renaming a rotation or team changes theirs, and the
    busy status and the owner's feed sequence are part of it, so the fingerprint changes
    whenever the rendered feed would. ``busy`` is the URL's ``?busy=`` (None: the owner's
    preference).

    ``last_modified`` is read from the same rows, so every process gives the same one: the
    latest ``updated_at`` of those shifts, covers, rotations and teams, of the owner's feed
    preference, of a shift removal from those rotations, and of the rota's and the catalog's
    last change (``RotaVersion.changed_at``, ``CatalogVersion.changed_at``: what leaves no row,
    such as a removed membership, is dated there), and at least 00:00 UTC of the day (the
    window moves then, which changes the fingerprint too).
    """
    scope = feed_scope(token=token, now=now, busy=busy)
    shifts = Shift.objects.filter(scope.shifts, end__gt=scope.window_start).aggregate(
        n=Count("id"),
        changed=Max("updated_at"),
        seq=Sum("sequence"),
        rotations=Max("rotation__updated_at"),
        teams=Max("team__updated_at"),
        first=Min("start"),
        last=Max("end"),
    )
    overrides = Override.objects.filter(scope.overrides, end__gt=scope.window_start).aggregate(
        n=Count("id"),
        changed=Max("updated_at"),
        seq=Sum("sequence"),
        first=Min("start"),
        last=Max("end"),
    )
    # A removed shift leaves no row to date it, but an audit row of its removal. Other
    # changes leave none at all (a membership or a cover over no shift removed, a rotation
    # deleted): the rota's and the catalog's versions date them. Those move with any edit,
    # so Last-Modified may be later than this feed's own last change, never earlier.
    removed = ShiftChange.objects.filter(scope.shifts, action=ShiftChange.Action.DELETED).aggregate(
        at=Max("changed_at")
    )["at"]
    catalog_changed = CatalogVersion.objects.filter(pk=1).values("changed_at")
    rota_changed, catalog_changed = (
        RotaVersion.objects.filter(pk=1)
        .values_list("changed_at", Subquery(catalog_changed[:1]))
        .first()
    ) or (None, None)
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
    try:
        preference = token.user.notification_preference.updated_at
    except ObjectDoesNotExist:
        preference = None
    window_moved = scope.window_start + datetime.timedelta(days=_past_days())
    stamps = [
        shifts["changed"],
        shifts["rotations"],
        shifts["teams"],
        overrides["changed"],
        removed,
        rota_changed,
        catalog_changed,
        preference,
        window_moved,
    ]
    firsts = [s for s in (shifts["first"], overrides["first"]) if s]
    lasts = [s for s in (shifts["last"], overrides["last"]) if s]
    return FeedState(
        scope=scope,
        etag=etag,
        last_modified=max(s for s in stamps if s),
        first_start=min(firsts) if firsts else None,
        last_end=max(lasts) if lasts else None,
    )


def feed_build(*, state: FeedState) -> Feed:
    """Load the feed's rows and their final schedule and describe them as calendar events.

    Five queries whatever the number of shifts (a sixth for holidays when a restricted
    rotation has a team): every shift and every override of the feed's rotations from the
    first start to the last end of the rows it shows (``state.first_start``/``last_end``),
    which are also the rows its final schedule is made of, then their rotations, teams and
    people.
    """
    scope = state.scope
    shifts, overrides, schedule = [], [], {}
    if state.first_start is not None:
        first, last = state.first_start, state.last_end
        every_shift, every_override = load_rows(scope=scope, first=first, last=last)
        after = scope.window_start
        shifts = [row for row in every_shift if row.end > after]
        overrides = [row for row in every_override if row.end > after]
        rotations = list({row.rotation_id: row.rotation for row in [*shifts, *overrides]}.values())
        # From the first row's start, so that no shift is cut at the window's edge.
        schedule = segments_for(rotations, first, last, rows=(every_shift, every_override))
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
    last_modified: float  # a POSIX timestamp: the feed's last change, the same in every process
    state: FeedState | None = None  # loaded when the fingerprint had to be computed
    busy: bool = False  # the busy status the fingerprint is of


def feed_version(*, token: FeedToken, now=None, busy: bool | None = None) -> FeedVersion:
    """The feed's ETag fingerprint and Last-Modified, usually from the cache (no query).

    The fingerprint only changes with the rota or the catalog (both replace a version tag on
    every write), with the day (the window moves) or with the busy status and the owner's
    feed sequence (read with the token), so it is kept per those. The version tags come with
    a token loaded by ``feed_token_resolve``; for another token they cost one query. On a
    cache miss, :func:`feed_state` computes both from the rows (four queries), so every
    process answers the same. ``busy`` is the URL's ``?busy=`` (None: the owner's preference).
    """
    now = now or timezone.now()
    tags = getattr(token, "version_tags", None) or routing_versions()
    rota_tag, catalog_tag = tags
    shown_busy, offset = feed_busy_status(token=token, busy=busy)
    key = (
        f"rota:feed:state:{token.key}:{rota_tag}:{catalog_tag}:{now:%Y%m%d}"
        f":{int(shown_busy)}:{offset}"
    )
    state = None
    known = cache.get(key)
    if known is None:
        state = feed_state(token=token, now=now, busy=shown_busy)
        known = (state.etag, state.last_modified.timestamp())
        cache.set(key, known, FEED_CACHE_SECONDS)
    fingerprint, changed = known
    return FeedVersion(fingerprint, changed, state, shown_busy)


def feed_body(*, token: FeedToken, version: FeedVersion) -> bytes:
    """The feed as iCalendar bytes, rendered once per fingerprint."""
    key = f"rota:feed:{version.fingerprint}"
    body = cache.get(key)
    if body is None:
        state = version.state or feed_state(token=token, busy=version.busy)
        body = build_feed(feed_build(state=state))
        cache.set(key, body, FEED_CACHE_SECONDS)
    return body
