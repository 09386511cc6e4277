"""Delivery keys: what a message is about, for whom, and which occurrence.

A key changes whenever the message should go out again (another person, another start, another
lead time) and stays the same for a repeat of the same finding, which is what makes the
scanner idempotent.
"""

import datetime


def utc_stamp(instant: datetime.datetime) -> str:
    """Return the compact UTC form of an instant used inside keys."""
    return instant.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def whom(*, user_id: int | None = None, team_id: int | None = None) -> str:
    return f"user-{user_id}" if user_id is not None else f"team-{team_id}"


def reminder_key(*, source: str, start, lead: int, user_id=None, team_id=None) -> str:
    """Key of the reminder ``lead`` minutes before duty ``source`` (shift-1, override-2)."""
    return f"reminder/{source}/{whom(user_id=user_id, team_id=team_id)}/{utc_stamp(start)}/{lead}m"


def handoff_key(*, source: str, start, user_id=None, team_id=None) -> str:
    """Key of the handoff message to duty ``source`` (shift-1, override-2) taking over at start.

    ``start`` is when the incoming piece of duty starts: the shift's start, a cover's start, or
    the end of a cover when the shift underneath resumes.
    """
    who = whom(user_id=user_id, team_id=team_id)
    return f"handoff/{source}/{who}/{utc_stamp(start)}"


def changes_key(*, user_id: int, window_start) -> str:
    """Key of one person's batch of change notices for one window."""
    return f"changes/user-{user_id}/{utc_stamp(window_start)}"


def warning_key(*, user_id: int, week: datetime.date) -> str:
    """Key of one manager's rota warning for the ISO week starting on ``week`` (a Monday)."""
    year, number, _ = week.isocalendar()
    return f"warning/user-{user_id}/{year}-W{number:02d}"


def capacity_key(
    *, team_id: int, sprint_start: datetime.date, threshold: int, user_id=None, channel_of=None
) -> str:
    """Key of a buffer alert: a team passed ``threshold`` percent in the sprint starting then.

    ``user_id`` names the manager told; ``channel_of`` the team whose chat channel is told.
    """
    who = whom(user_id=user_id, team_id=channel_of)
    return f"capacity/team-{team_id}/{sprint_start.isoformat()}/{threshold}/{who}"


def triage_key(*, team_id: int, day: datetime.date, user_id: int) -> str:
    """Key of one person's agenda for a team's triage meeting on ``day`` (the team's date)."""
    return f"triage/team-{team_id}/{day.isoformat()}/user-{user_id}"


def timebox_key(*, bug_id: int, ends_at: datetime.datetime, user_id: int) -> str:
    """Key of the notice that bug ``bug_id``'s timebox ending at ``ends_at`` ran out."""
    return f"timebox/bug-{bug_id}/{utc_stamp(ends_at)}/user-{user_id}"
