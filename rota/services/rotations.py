"""Writes to sprint calendars, rotations and their participants."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.services import apply_fields
from ownership.models import Team

from ..models import Rotation, RotationParticipant, Shift, SprintCalendar, SwapRequest
from ._common import rota_touch
from .generation import rotation_regenerate

User = get_user_model()

CALENDAR_FIELDS = ("name", "start_date", "length_days", "timezone")
ROTATION_FIELDS = (
    "name",
    "description",
    "kind",
    "shift_length_unit",
    "shift_length_count",
    "handoff_time",
    "timezone",
    "start_date",
    "sprint_calendar",
    "team",
    "role",
    "restriction",
    "business_hours_start",
    "business_hours_end",
    "restriction_windows",
    "layer",
    "follows_team_rotation",
    "fairness",
    "horizon_weeks",
    "swaps_require_approval",
    "active",
    "source",
    "source_id",
)
# Changing any of these moves slot boundaries or the turn order of future shifts.
LAYOUT_FIELDS = {
    "kind",
    "shift_length_unit",
    "shift_length_count",
    "handoff_time",
    "timezone",
    "start_date",
    "sprint_calendar",
    "follows_team_rotation",
    "fairness",
}

# Changing any of these changes the hours on duty within the existing shifts.
HOURS_FIELDS = (
    "restriction",
    "business_hours_start",
    "business_hours_end",
    "restriction_windows",
    "timezone",
)


@transaction.atomic
def sprint_calendar_create(**data) -> SprintCalendar:
    """Create a sprint calendar."""
    calendar = SprintCalendar()
    apply_fields(calendar, CALENDAR_FIELDS, data)
    calendar.full_clean()
    calendar.save()
    rota_touch()
    return calendar


@transaction.atomic
def sprint_calendar_update(*, calendar: SprintCalendar, **data) -> SprintCalendar:
    """Change a sprint calendar; rotations measured in it realign at their next regeneration."""
    apply_fields(calendar, CALENDAR_FIELDS, data)
    calendar.full_clean()
    calendar.save()
    rota_touch()
    return calendar


@transaction.atomic
def rotation_create(*, participants: Iterable | None = None, **data) -> Rotation:
    """Create a rotation with its participants in turn order (no shifts yet)."""
    rotation = Rotation()
    apply_fields(rotation, ROTATION_FIELDS, data)
    rotation.full_clean()
    rotation.save()
    rota_touch()
    if participants is not None:
        rotation_set_participants(rotation=rotation, participants=participants, regenerate=False)
    return rotation


@transaction.atomic
def rotation_update(
    *, rotation: Rotation, participants: Iterable | None = None, regenerate: bool = True, **data
) -> Rotation:
    """Change a rotation; with ``regenerate``, re-deal its future unedited shifts at once.

    Switching ``swaps_require_approval`` applies to the offers still open too.
    """
    hours = [getattr(rotation, name) for name in HOURS_FIELDS]
    apply_fields(rotation, ROTATION_FIELDS, data)
    rotation.full_clean()
    rotation.save()
    rota_touch()
    SwapRequest.objects.filter(shift__rotation=rotation, status=SwapRequest.Status.OFFERED).exclude(
        requires_approval=rotation.swaps_require_approval
    ).update(requires_approval=rotation.swaps_require_approval, updated_at=timezone.now())
    if hours != [getattr(rotation, name) for name in HOURS_FIELDS]:
        # The hours on duty cut every shift differently now: calendar events of the coming
        # shifts move, so their SEQUENCE must rise.
        Shift.objects.filter(rotation=rotation, end__gt=timezone.now()).update(
            sequence=F("sequence") + 1, updated_at=timezone.now()
        )
    if participants is not None:
        rotation_set_participants(rotation=rotation, participants=participants, regenerate=False)
    if regenerate and (participants is not None or LAYOUT_FIELDS & set(data)):
        _regenerate_existing(rotation)
    return rotation


@transaction.atomic
def rotation_set_participants(
    *, rotation: Rotation, participants: Iterable, regenerate: bool = True
) -> list[RotationParticipant]:
    """Make the turn order exactly ``participants`` (Team/User objects, slugs or usernames).

    Rows of participants who stay are kept (only their position changes), so the turn order of
    existing shifts carries over. With ``regenerate``, future unedited shifts are re-dealt.
    """
    wanted = _resolve_participants(rotation, list(participants))
    existing = {(p.team_id, p.user_id): p for p in rotation.participants.all()}
    keep_keys = {(team_id, user_id) for team_id, user_id in wanted}
    RotationParticipant.objects.filter(
        pk__in=[p.pk for key, p in existing.items() if key not in keep_keys]
    ).delete()
    to_update, to_create = [], []
    for position, (team_id, user_id) in enumerate(wanted):
        row = existing.get((team_id, user_id))
        if row is None:
            to_create.append(
                RotationParticipant(
                    rotation=rotation, position=position, team_id=team_id, user_id=user_id
                )
            )
        elif row.position != position:
            row.position = position
            to_update.append(row)
    RotationParticipant.objects.bulk_update(to_update, ["position"])
    RotationParticipant.objects.bulk_create(to_create)
    rota_touch()
    if regenerate:
        _regenerate_existing(rotation)
    return list(rotation.participants.order_by("position", "id"))


def _resolve_participants(rotation: Rotation, items: list) -> list[tuple]:
    """Turn objects or identifiers into (team_id, user_id) pairs, naming any unknown one."""
    if rotation.follows_team_rotation_id is not None and items:
        raise ValidationError(
            {
                "participants": "This rotation takes its people from the team on support; "
                "it has no participants of its own."
            }
        )
    is_team = rotation.kind == Rotation.Kind.TEAM
    names = [item for item in items if isinstance(item, str)]
    if is_team:
        found = dict(Team.objects.filter(slug__in=names).values_list("slug", "pk"))
    else:
        found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    errors, pairs = [], []
    for item in items:
        if isinstance(item, str):
            pk = found.get(item)
            if pk is None:
                kind = "team" if is_team else "user"
                errors.append(f"Unknown {kind} {item!r}.")
                continue
        elif isinstance(item, Team if is_team else User):
            pk = item.pk
        else:
            expected = "teams" if is_team else "people"
            errors.append(f"{item} cannot take part: this rotation's participants are {expected}.")
            continue
        pair = (pk, None) if is_team else (None, pk)
        if pair in pairs:
            errors.append(f"{item} is listed twice.")
            continue
        pairs.append(pair)
    if errors:
        raise ValidationError({"participants": errors})
    return pairs


def _regenerate_existing(rotation: Rotation) -> None:
    """Re-deal the future shifts a rotation already has, without extending its horizon."""
    now = timezone.now()
    if Shift.objects.filter(rotation=rotation, end__gt=now).exists():
        rotation_regenerate(rotation=rotation, until=now, now=now)


@transaction.atomic
def rotation_delete(*, rotation: Rotation) -> None:
    """Delete a rotation and its shifts; refused while a policy or rotation depends on it."""
    followers = sorted(rotation.following_rotations.values_list("name", flat=True))
    if followers:
        raise ValidationError(
            f"{', '.join(followers)} follow{'s' if len(followers) == 1 else ''} this team "
            "rotation; change or delete "
            f"{'it' if len(followers) == 1 else 'them'} first."
        )
    policies = sorted(rotation.rotating_policies.values_list("name", flat=True))
    if policies:
        raise ValidationError(
            f"The support polic{'y' if len(policies) == 1 else 'ies'} {', '.join(policies)} "
            f"use{'s' if len(policies) == 1 else ''} this rotation; change "
            f"{'it' if len(policies) == 1 else 'them'} first."
        )
    rotation.delete()
    rota_touch()
