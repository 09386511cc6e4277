"""Helpers of the rota's admin pages: local times, who is on duty, leave warnings, team scope."""

from django.contrib import messages
from django.contrib.auth import get_user_model

from core.timeutil import wall_clock

from .models import Rotation

User = get_user_model()
LOCAL = "%a %d %b %Y %H:%M"


def local(instant, rotation, fmt: str = LOCAL) -> str:
    """Format an instant as wall-clock time in the rotation's zone, with the zone's abbreviation.

    E.g. "Mon 06 Jul 2026 09:00 BST" for a London rotation; zones without a common
    abbreviation show their offset ("+04").
    """
    if instant is None:
        return "-"
    return wall_clock(instant, rotation.timezone, fmt)


def assignee(obj) -> str:
    return str(obj.team) if obj.team_id else (obj.user.username if obj.user_id else "-")


def warn_leave(modeladmin, request, conflicts) -> None:
    """Tell the manager about duty that clashes with leave (times in each rotation's zone)."""
    conflicts = conflicts[:10]
    rotations = Rotation.objects.in_bulk({c.rotation_id for c in conflicts})
    for conflict in conflicts:
        entry = conflict.unavailability
        who = conflict.user.username if conflict.user else str(conflict.team)
        rotation = rotations[conflict.rotation_id]
        modeladmin.message_user(
            request,
            f"{who} is away {entry.start_date:%d %b} - {entry.end_date:%d %b} "
            f"({entry.get_kind_display()}) but on duty in {rotation.name} from "
            f"{local(conflict.start, rotation, '%d %b %H:%M')}; "
            "add an override or reassign the shift.",
            messages.WARNING,
        )


# The teams whose managers run a rotation (rota.api.permissions.rotation_team_ids): its team,
# the teams in its turn order and those of the team rotation it follows.
ROTATION_TEAM_PATHS = ("team", "participants__team", "follows_team_rotation__participants__team")
