"""Reads of the notifications app: what is due to be sent, and who it goes to."""

from .changes import due_change_batches, window_start
from .duties import Duty, duties_starting, members_by_team
from .handoffs import Handoff, due_handoffs, handoffs_for
from .reminders import due_reminders
from .warnings import rota_warnings, week_of

__all__ = [
    "Duty",
    "Handoff",
    "due_change_batches",
    "due_handoffs",
    "due_reminders",
    "duties_starting",
    "handoffs_for",
    "members_by_team",
    "rota_warnings",
    "week_of",
    "window_start",
]
