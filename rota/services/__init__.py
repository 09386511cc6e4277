"""Writes to the rota; import services from here."""

from .generation import (
    GenerationResult,
    rotation_generate,
    rotation_regenerate,
)
from .generation_batch import rotations_extend_all, rotations_generate
from .policies import (
    routing_settings_update,
    support_policy_create,
    support_policy_delete,
    support_policy_update,
)
from .public_holidays import (
    HolidaySync,
    public_holiday_dates,
    public_holidays_refresh_all,
    team_public_holidays_sync,
)
from .rotations import (
    rotation_create,
    rotation_delete,
    rotation_set_participants,
    rotation_update,
    sprint_calendar_create,
    sprint_calendar_update,
)
from .shifts import (
    override_create,
    override_delete,
    override_update,
    shift_create,
    shift_delete,
    shift_reassign,
    shift_update,
)
from .swaps import (
    swap_approve,
    swap_cancel,
    swap_offer,
    swap_reject,
    swap_run_warning,
    swap_run_warnings,
    swap_take,
    swap_withdraw,
)
from .unavailability import (
    unavailability_create,
    unavailability_delete,
    unavailability_update,
)
from .unavailability_ics import ImportResult, unavailability_import_ics

__all__ = [
    "GenerationResult",
    "HolidaySync",
    "public_holiday_dates",
    "public_holidays_refresh_all",
    "team_public_holidays_sync",
    "ImportResult",
    "override_create",
    "routing_settings_update",
    "override_delete",
    "override_update",
    "rotation_create",
    "rotation_delete",
    "rotation_generate",
    "rotation_regenerate",
    "rotation_set_participants",
    "rotation_update",
    "rotations_extend_all",
    "rotations_generate",
    "shift_create",
    "shift_delete",
    "shift_reassign",
    "shift_update",
    "sprint_calendar_create",
    "sprint_calendar_update",
    "support_policy_create",
    "support_policy_delete",
    "support_policy_update",
    "swap_approve",
    "swap_cancel",
    "swap_offer",
    "swap_reject",
    "swap_run_warning",
    "swap_run_warnings",
    "swap_take",
    "swap_withdraw",
    "unavailability_create",
    "unavailability_delete",
    "unavailability_import_ics",
    "unavailability_update",
]
