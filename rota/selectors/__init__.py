"""Reads of the rota; import selectors from here."""

from .checks import (
    DoubleBooking,
    LeaveConflict,
    ScheduleCheck,
    leave_conflicts,
    schedule_check,
)
from .holidays import team_holidays_upcoming
from .instant import oncall_at, oncall_for
from .leave import LeaveClash, shift_leave_clashes
from .people import rotation_people, rotation_taker_ids
from .running import shifts_in_force
from .schedule import (
    Duty,
    Segment,
    duty_for,
    final_schedule,
    override_list,
    restriction_windows,
    segments_for,
    shift_list,
)

__all__ = [
    "DoubleBooking",
    "Duty",
    "LeaveClash",
    "LeaveConflict",
    "ScheduleCheck",
    "Segment",
    "duty_for",
    "final_schedule",
    "leave_conflicts",
    "oncall_at",
    "oncall_for",
    "override_list",
    "restriction_windows",
    "rotation_people",
    "rotation_taker_ids",
    "schedule_check",
    "segments_for",
    "shift_leave_clashes",
    "shift_list",
    "shifts_in_force",
    "team_holidays_upcoming",
]
