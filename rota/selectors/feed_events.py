"""The calendar events of a feed: the loaded rows and final schedule, as plain data, composed
by :func:`rota.feed_text.compose_events` (which holds the text and contact rules)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from ..feed_text import DutyPart, DutyRotation, DutyRow, Holder, compose_events
from ..feeds import FeedEvent
from ..models import FeedToken, Rotation
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
