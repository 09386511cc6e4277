"""Reads of the notifications app: what is due to be sent, and who it goes to."""

from .capacity import capacity_alerts
from .changes import due_change_batches, window_start
from .duties import Duty, duties_starting, members_by_team
from .handoffs import Handoff, due_handoffs, handoffs_for
from .reminders import due_reminders
from .timebox import team_leaders, timebox_readers, timeboxes_run_out
from .triage import agenda_at, meeting_at, meetings_due, triage_agendas
from .warnings import rota_warnings, week_of

__all__ = [
    "Duty",
    "Handoff",
    "agenda_at",
    "capacity_alerts",
    "due_change_batches",
    "due_handoffs",
    "due_reminders",
    "duties_starting",
    "handoffs_for",
    "meeting_at",
    "meetings_due",
    "members_by_team",
    "rota_warnings",
    "team_leaders",
    "timebox_readers",
    "timeboxes_run_out",
    "triage_agendas",
    "week_of",
    "window_start",
]
