"""The calendar events of a feed: its rows loaded as plain data with their final schedule,
composed by :func:`rota.feed_text.compose_events` (which holds the text and contact rules)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from ownership.models import Team

from ..feed_text import DutyPart, DutyRotation, DutyRow, Holder, compose_events
from ..feeds import FeedEvent
from ..models import FeedToken, Override, Rotation, Shift
from .duty import source_of


class _Plain:
    """Turn loaded models into the plain data the composer reads, each holder and link once."""

    def __init__(self, scope):
        self.scope = scope
        self.holders = {}
        self.links = {}  # reverse() is slow enough to matter over hundreds of events

    def holder(self, user, team) -> Holder:
        key = (user.pk if user else None, team.pk if team else None)
        found = self.holders.get(key)
        if found is None:
            if user is not None:
                found = Holder(key, user.get_full_name() or user.get_username(), user.email)
            else:
                found = Holder(key, team.name if team is not None else "nobody")
            self.holders[key] = found
        return found

    def link(self, team) -> str:
        key = team.pk if team else None
        url = self.links.get(key)
        if url is None:
            path = team.get_absolute_url() if team else reverse("home")
            url = self.links[key] = f"{settings.SITE_URL}{path}"
        return url

    def rotation(self, rotation) -> DutyRotation:
        return DutyRotation(
            id=rotation.pk,
            name=rotation.name,
            is_team=rotation.kind == Rotation.Kind.TEAM,
            kind_label=rotation.get_kind_display().lower(),
            role_label=rotation.get_role_display().lower(),
            timezone=rotation.timezone,
            team_name=rotation.team.name if rotation.team_id else "",
            team_slug=rotation.team.slug if rotation.team_id else "",
        )

    def row(self, row, **extra) -> DutyRow:
        rotation = row.rotation
        is_team = rotation.kind == Rotation.Kind.TEAM
        return DutyRow(
            id=row.pk,
            rotation_id=row.rotation_id,
            start=row.start,
            end=row.end,
            holder=self.holder(row.user, row.team),
            sequence=row.sequence,
            updated_at=row.updated_at,
            created_at=row.created_at,
            # A support shift links to the team holding it, anything else to the rotation's.
            link=self.link(row.team if is_team and row.team_id else rotation.team),
            shown=self.scope.shows(rotation, row.team_id, row.user_id),
            busy=self.scope.busy_for(rotation, row.team_id, row.user_id),
            team_name=row.team.name if row.team_id else "",
            **extra,
        )

    def part(self, segment) -> DutyPart:
        return DutyPart(
            segment.start, segment.end, source_of(segment), self.holder(segment.user, segment.team)
        )


class FeedRow:
    """A shift or a cover as a feed reads it: its columns, with its rotation (and the
    rotation's team), team and user, each loaded once and shared by all of its rows.

    Plain objects rather than model instances: a feed reads hundreds of rows, and building
    instances was most of the time spent loading them. Both kinds have ``edited`` (a shift
    changed by hand) and ``reason`` (a cover's); ``pk`` is the row's id, as the final
    schedule reads it.
    """

    __slots__ = (
        "pk",
        "rotation_id",
        "start",
        "end",
        "team_id",
        "user_id",
        "sequence",
        "updated_at",
        "created_at",
        "edited",
        "reason",
        "rotation",
        "team",
        "user",
    )
    COLUMNS = ("id", "rotation_id", "start", "end", "team_id", "user_id", "sequence")
    COLUMNS += ("updated_at", "created_at")

    def __init__(
        self,
        pk,
        rotation_id,
        start,
        end,
        team_id,
        user_id,
        sequence,
        updated_at,
        created_at,
        edited=False,
        reason="",
    ):
        self.pk, self.rotation_id, self.start, self.end = pk, rotation_id, start, end
        self.team_id, self.user_id, self.sequence = team_id, user_id, sequence
        self.updated_at, self.created_at = updated_at, created_at
        self.edited, self.reason = edited, reason
        self.rotation = self.team = self.user = None


def load_rows(*, scope, first, last) -> tuple[list[FeedRow], list[FeedRow]]:
    """Every shift and cover of a feed's rotations overlapping [first, last), in start order,
    with their rotations, teams and people: five queries. ``scope`` is the feed's
    ``FeedScope`` (its ``shifts`` and ``overrides`` select the rotations' rows)."""
    shifts = [
        FeedRow(*values, edited=edited)
        for *values, edited in Shift.objects.filter(scope.shifts, start__lt=last, end__gt=first)
        .order_by("start", "rotation_id")
        .values_list(*FeedRow.COLUMNS, "edited")
    ]
    overrides = [
        FeedRow(*values, reason=reason)
        for *values, reason in Override.objects.filter(
            scope.overrides, start__lt=last, end__gt=first
        )
        .order_by("start")
        .values_list(*FeedRow.COLUMNS, "reason")
    ]
    rows = [*shifts, *overrides]
    rotations = Rotation.objects.in_bulk({row.rotation_id for row in rows})
    team_ids = {row.team_id for row in rows} | {r.team_id for r in rotations.values()}
    teams = Team.objects.in_bulk(team_ids - {None})
    users = get_user_model().objects.in_bulk({row.user_id for row in rows} - {None})
    for rotation in rotations.values():
        Rotation.team.field.set_cached_value(rotation, teams.get(rotation.team_id))
    for row in rows:
        row.rotation = rotations[row.rotation_id]
        row.team = teams.get(row.team_id)
        row.user = users.get(row.user_id)
    return shifts, overrides


def feed_events(*, scope, shifts, overrides, schedule) -> list[FeedEvent]:
    """Return the events of a feed from its shifts and covers and their final schedule.

    ``shifts`` and ``overrides`` are every row of the rotations the feed reads (with their
    rotation, its team, and their assignee loaded); ``schedule`` is ``segments_for`` of those
    rotations over all of those rows. ``scope.shows`` says whose duty is the feed's to show.
    """
    plain = _Plain(scope)
    rotations = {row.rotation_id: row.rotation for row in [*shifts, *overrides]}
    return compose_events(
        rotations=[plain.rotation(rotation) for rotation in rotations.values()],
        shifts=[plain.row(shift, edited=shift.edited) for shift in shifts],
        overrides=[plain.row(override, reason=override.reason) for override in overrides],
        schedule={
            pk: [plain.part(segment) for segment in segments] for pk, segments in schedule.items()
        },
        personal=scope.token.kind == FeedToken.Kind.PERSON,
        host=urlsplit(settings.SITE_URL).hostname or "rota",
        sequence_offset=scope.sequence_offset,
    )
