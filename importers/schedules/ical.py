"""Any iCalendar feed of an on-call schedule, as the shifts of one Rota person rotation.

Every ``VEVENT`` (each occurrence of a recurring one) is one shift of the rotation; its
``SUMMARY`` names the person ("On call: Alice Martin", "Alice Martin (primary)",
"alice@example.com"). Opsgenie, PagerDuty, Grafana OnCall and Google Calendar all export
such feeds. README "Moving to Rota" has the table of what is read.

Options (strings, as the command line and the admin page give them):

``rotation``
    The rotation's name (required). An existing person rotation of that name is used (with
    ``team``, the one of that team); else one is created, which needs ``team`` (slug) and
    takes ``role`` (primary or secondary, default primary) and ``timezone`` (IANA name,
    default the team's).
``from``, ``until``
    The window imported: ISO dates (midnight in the rotation's zone) or date-times (without
    an offset: in the rotation's zone). Default: from the earliest DTSTART of the file to 26
    weeks after now. Occurrences overlapping the window are imported; shifts of this source
    in the rotation that overlap it and whose event is gone are deleted.
``mapping``
    ``{text: username or e-mail}``: a key found in the SUMMARY (whole words, ignoring case)
    names the person; else an e-mail in the SUMMARY, then the ATTENDEEs, then the
    DESCRIPTION; else a person's full name, then username, in the SUMMARY (active people
    only; a match lying inside a longer one counts as the longer).

Times: a DATE value is whole days in the rotation's zone; a date-time with a TZID or in UTC
is that instant; a floating one is wall-clock time in the rotation's zone. Recurring events
(RRULE, RDATE, EXDATE, moved occurrences with RECURRENCE-ID) are expanded with
``recurring-ical-events``, which also honours Google's ``X-WR-TIMEZONE``.

Each shift keeps ``source = "ical"`` and ``source_id = UID`` (for an occurrence of a recurring
event, ``UID/<RECURRENCE-ID in UTC>``), so a second import updates what changed and leaves the
rest. Imported shifts are marked edited: regeneration leaves them alone.
"""

from __future__ import annotations

import datetime
import re
from typing import NoReturn
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone as django_timezone

from core.timeutil import UTC, local_to_utc, start_of_day, zone
from importers.base import ImportRefused, ImportReport, Progress
from importers.registry import register
from ownership.models import Team
from ownership.validators import validate_timezone
from rota.models import Rotation, Shift
from rota.services import rotation_create, shift_create, shift_delete, shift_update

from .ical_feed import Occurrence, first_start, occurrences_in, read_calendar, where_of
from .ical_people import People

NAME = "ical-schedule"
SOURCE = "ical"
OPTIONS = ("mapping", "rotation", "team", "role", "timezone", "from", "until")
WEEKS_AHEAD = 26
OCCURRENCE_SUFFIX = re.compile(r"/\d{8}T\d{6}Z$")


def _fail_option(name: str, message: str) -> NoReturn:
    raise ImportRefused(message, where=f"option {name}")


# --- options -------------------------------------------------------------------------------


def _text(options: dict, name: str) -> str:
    value = options.get(name)
    return "" if value is None else str(value).strip()


def _instant(options: dict, name: str, tz: ZoneInfo) -> datetime.datetime | None:
    """Read option ``name`` as an ISO date or date-time; None when not given."""
    value = _text(options, name)
    if not value:
        return None
    try:
        if len(value) == 10:
            return start_of_day(datetime.date.fromisoformat(value), tz)
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        _fail_option(name, f'"{value}" is no ISO date (2027-03-01) or date-time')
    if moment.tzinfo is None:
        return local_to_utc(moment, tz)
    return moment.astimezone(UTC)


def _rotation(options: dict, report: ImportReport) -> Rotation:
    """Find the rotation the options name, or create it; raise ImportRefused when neither."""
    name = _text(options, "rotation")
    if not name:
        _fail_option("rotation", "give the rotation's name (rotation=NAME)")
    slug = _text(options, "team")
    team = None
    if slug:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            _fail_option("team", f'no team "{slug}"')
    role = _text(options, "role").lower()
    if role and role not in Rotation.Role.values:
        _fail_option("role", f'"{role}" is neither primary nor secondary')
    tz_name = _text(options, "timezone")
    if tz_name:
        try:
            validate_timezone(tz_name)
        except ValidationError:
            _fail_option("timezone", f'"{tz_name}" is no IANA time zone')
    found = Rotation.objects.filter(name=name)
    if team is not None:
        found = found.filter(team=team)
    found = list(found.select_related("team")[:2])
    if len(found) > 1:
        _fail_option(
            "rotation", f'several rotations are called "{name}": give the team (team=SLUG)'
        )
    if found:
        rotation = found[0]
        if rotation.kind != Rotation.Kind.PERSON:
            _fail_option("rotation", f'"{name}" is a team rotation: people take these shifts')
        for option, given, actual in (
            ("role", role, rotation.role),
            ("timezone", tz_name, rotation.timezone),
        ):
            if given and given != actual:
                _fail_option(
                    option,
                    f'rotation "{name}" exists with {option} {actual}; {option} applies only '
                    "to a rotation the import creates",
                )
        return rotation
    if team is None:
        _fail_option("rotation", f'no rotation "{name}": give its team (team=SLUG) to create it')
    try:
        rotation = rotation_create(
            name=name,
            kind=Rotation.Kind.PERSON,
            team=team,
            role=role or Rotation.Role.PRIMARY,
            timezone=tz_name or team.timezone,
            start_date=django_timezone.now().date(),
            description="Shifts imported from an iCalendar feed.",
        )
    except ValidationError as error:
        raise ImportRefused("; ".join(error.messages), where="option rotation") from None
    report.create("rotation", f'"{name}" ({rotation.role}, team {team.slug})')
    return rotation


# --- who is on call ------------------------------------------------------------------------


def _without_overlaps(occurrences: list[Occurrence], report: ImportReport) -> list[Occurrence]:
    """Keep the first of events that overlap (by start); report each one dropped."""
    kept: list[Occurrence] = []
    for occurrence in occurrences:
        # Those kept lie apart, in order: the last one ends latest.
        clash = kept[-1] if kept and kept[-1].end > occurrence.start else None
        if clash is not None:
            report.problem(
                occurrence.where,
                f'overlaps {clash.where} ("{clash.summary}"): a rotation has one person '
                "on duty at a time; not imported",
            )
            continue
        kept.append(occurrence)
    return kept


def _label(occurrence: Occurrence, user) -> str:
    return f"{occurrence.where} ({user.username})"


def _sync(
    rotation: Rotation,
    wanted: list[tuple[Occurrence, object]],
    start: datetime.datetime,
    end: datetime.datetime,
    report: ImportReport,
    progress: Progress,
    total: int,
) -> None:
    existing = {
        shift.source_id: shift
        for shift in Shift.objects.filter(rotation=rotation, source=SOURCE).select_related("user")
    }
    keys = {occurrence.key for occurrence, _ in wanted}
    tz = zone(rotation.timezone)
    # Shifts of events gone from the feed go first, so that what replaces them has room.
    for key, shift in sorted(existing.items(), key=lambda item: item[1].start):
        if key not in keys and shift.start < end and shift.end > start:
            who = shift.user.username if shift.user_id else "nobody"
            uid = OCCURRENCE_SUFFIX.sub("", key)
            report.delete("shift", f"{where_of(uid, shift.start, tz)} ({who})")
            shift_delete(shift=shift)
    pending = []
    done = 0
    for occurrence, user in wanted:
        values = {
            "start": occurrence.start,
            "end": occurrence.end,
            "user": user,
            "note": occurrence.summary[:200],
        }
        shift = existing.get(occurrence.key)
        if (
            shift is not None
            and all(getattr(shift, name) == value for name, value in values.items())
            and shift.team_id is None
        ):
            report.keep("shift")
            done += 1
            progress(done, total)
            continue
        pending.append((occurrence, user, shift, values))
    # A shift moving into the old place of another waits until that one has moved; shifts
    # trading places wait for each other, so when nothing moves they are replaced instead.
    replaced: set[str] = set()
    while pending:
        waiting, failures = [], []
        for occurrence, user, shift, values in pending:
            try:
                if shift is None:
                    shift_create(
                        rotation=rotation, source=SOURCE, source_id=occurrence.key, **values
                    )
                    if occurrence.key in replaced:
                        report.update("shift", _label(occurrence, user))
                    else:
                        report.create("shift", _label(occurrence, user))
                else:
                    shift_update(shift=shift, team=None, **values)
                    report.update("shift", _label(occurrence, user))
            except ValidationError as error:
                if shift is not None:
                    shift.refresh_from_db()  # the service set the refused values on it
                waiting.append((occurrence, user, shift, values))
                failures.append(" ".join(error.messages))
                continue
            done += 1
            progress(done, total)
        if len(waiting) == len(pending):
            if not any(shift is not None for _, _, shift, _ in waiting):
                for (occurrence, *_), why in zip(waiting, failures, strict=True):
                    report.problem(occurrence.where, f"{why} Not imported.")
                break
            for occurrence, _, shift, _ in waiting:
                if shift is not None:
                    replaced.add(occurrence.key)
                    shift_delete(shift=shift)
            waiting = [(o, u, None, v) for o, u, _, v in waiting]
        pending = waiting


@register(
    NAME,
    label="Any iCalendar schedule",
    kind="schedule",
    file_hint="iCalendar (.ics) feed of an on-call schedule (Opsgenie, PagerDuty, Grafana, Google)",
    mapping_hint="{summary text of the events: username or e-mail}",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import the feed's events as shifts of a rotation; see the module docstring.

    Raise ``ImportRefused`` for an unreadable file or bad options (nothing written).
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ImportRefused(
            f"unknown option {', '.join(unknown)} (known: {', '.join(OPTIONS)})",
            where="options",
        )
    mapping = options.get("mapping") or {}
    if not isinstance(mapping, dict):
        raise ImportRefused("give {summary text: username or e-mail}", where="mapping")
    calendar = read_calendar(data)
    rotation = _rotation(options, report)
    tz = zone(rotation.timezone)
    start = _instant(options, "from", tz) or first_start(calendar, tz)
    end = _instant(options, "until", tz) or (
        django_timezone.now() + datetime.timedelta(weeks=WEEKS_AHEAD)
    )
    if start is None:  # no event and no window: nothing to add, nothing to remove
        return
    if end <= start:
        _fail_option("until", "the window ends before it starts")
    occurrences = occurrences_in(calendar, tz, start, end, report)
    progress(0, len(occurrences))
    people = People({str(k): str(v) for k, v in mapping.items()})
    matched: dict[str, object] = {}
    for occurrence in occurrences:
        user, why = people.resolve(occurrence)
        if user is None:
            report.problem(occurrence.where, why)
        else:
            matched[occurrence.key] = user
    kept = _without_overlaps([o for o in occurrences if o.key in matched], report)
    wanted = [(o, matched[o.key]) for o in kept]
    _sync(rotation, wanted, start, end, report, progress, len(occurrences))
    progress(len(occurrences), len(occurrences))
