"""Check an imported schedule against PagerDuty's own rendering of it.

``GET /schedules/{id}?since=…&until=…`` adds ``final_schedule.rendered_schedule_entries``: who
PagerDuty has on call, entry by entry. When the file holds them, the import asks Rota, at the
start and the last second of each entry still to come (within the shifts Rota has dealt), who
the imported rotations put on duty (the highest layer with someone, as routing does), and
warns of every disagreement (everything was imported; the answers differ), naming the leave
in Rota that explains it when there is one, so a mapping that lost something shows before it
is applied.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

from importers.base import ImportReport
from rota.models import Rotation, Shift, Unavailability
from rota.selectors.instant import oncall_for

from .pagerduty_read import Unmappable, parse_instant, parse_zone

SHOWN = 5  # disagreements listed one by one; the rest are counted
ONE_SECOND = datetime.timedelta(seconds=1)


def on_duty(rotations: list[Rotation], at: datetime.datetime):
    """Return the user the highest layer with someone on duty has at ``at``, or None."""
    segments = oncall_for(rotations, at)
    for rotation in sorted(rotations, key=lambda r: (-r.layer, r.pk)):
        segment = segments.get(rotation.pk)
        if segment is not None and segment.user is not None:
            return segment.user
    return None


def compare_final_schedule(
    schedule: dict, rotations: list[Rotation], *, now, email_of, report: ImportReport
) -> int:
    """Warn where Rota's answer differs from PagerDuty's rendered final schedule.

    ``email_of(user reference)`` gives the e-mail a PagerDuty entry's user is matched by.
    Return the number of instants compared.
    """
    entries = (schedule.get("final_schedule") or {}).get("rendered_schedule_entries") or []
    if not entries:
        return 0
    where = f'schedule "{schedule.get("name") or schedule["id"]}" final schedule'
    tz = parse_zone(schedule.get("time_zone"))
    dealt = Shift.objects.filter(rotation__in=rotations).order_by("-end").first()
    until = dealt.end if dealt is not None else now
    differences, compared = [], 0
    for entry in entries:
        try:
            start = parse_instant(entry.get("start"), "start")
            end = parse_instant(entry.get("end"), "end")
        except Unmappable:
            continue
        expected = email_of(entry.get("user") or {})
        for instant in (max(start, now), end - ONE_SECOND):
            if not (start <= instant < end and now <= instant < until):
                continue
            compared += 1
            user = on_duty(rotations, instant)
            got = user.email.lower() if user is not None else None
            if got != expected:
                local = instant.astimezone(tz)
                differences.append(
                    f"differs from PagerDuty's rendering: at {local:%Y-%m-%d %H:%M:%S} "
                    f"{tz.key}: PagerDuty has {expected}, Rota {got or 'nobody'}"
                    + _leave_note(expected, local.date())
                )
    for text in differences[:SHOWN]:
        report.warn(where, text)
    if len(differences) > SHOWN:
        report.warn(where, f"and {len(differences) - SHOWN} more differences")
    return compared


def _leave_note(email: str, day: datetime.date) -> str:
    """`` (name is on leave in Rota from … to …)`` when leave explains a difference, else ""."""
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        return ""
    away = (
        Unavailability.objects.filter(user=user, start_date__lte=day, end_date__gte=day)
        .order_by("start_date")
        .first()
    )
    if away is None:
        return ""
    what = "on leave" if away.kind == Unavailability.Kind.LEAVE else "away"
    return f" ({user.username} is {what} in Rota from {away.start_date} to {away.end_date})"
