"""Opsgenie teams, schedules, overrides and escalations, into Rota teams, rotations and delays.

The input is the JSON of Opsgenie's REST API (see :mod:`.opsgenie_read` and README "Schedules
from Opsgenie"). Each schedule belongs to its ``ownerTeam``, which becomes (or is matched to)
the Rota team of the same slug or name; team members are matched by e-mail (Opsgenie's
``username``), and an account without a password is created for a user Rota does not know.
Every rotation of a schedule becomes one person rotation of that team, "<schedule> —
<rotation>": same turn length, handoff, turn order and time zone, its time restriction as
weekly windows.

Opsgenie notifies the on-call users of *all* rotations of a schedule at once (cumulative,
as its documentation says); Rota pages one person per role. Within a schedule the rotation on
duty for the fewest hours a week gets the highest ``layer`` (a weekend rotation over a
round-the-clock one answers at weekends), equal ones in the schedule's order, and every pair of
rotations on duty at the same time is reported. Schedule-wide overrides go on one more rotation,
"<schedule> — overrides", without turns and layered above all; overrides naming rotations go
on those rotations.

The role comes from the escalations: a schedule paged by an escalation's second rule gives
secondaries, otherwise primaries. An escalation's first three rules give the delays (minutes
after the alert's creation, in Rota as in Opsgenie) of the primary, the secondary and the
leads on the support policy dedicated to its owner team.

Imported rotations carry ``Opsgenie schedule <id> rotation <id>`` in their description and
imported overrides ``Opsgenie override <alias>`` as their reason: a second import finds them
and changes only what changed. What cannot be mapped is reported naming the schedule, rotation
and participant (or escalation rule), and left out; everything else is imported.
"""

from __future__ import annotations

import datetime
import itertools

from django.db.models import Q
from django.utils import timezone

from importers.base import ImportReport, Progress
from importers.registry import register
from ownership.models import Team
from rota.models import Rotation
from rota.services import rotation_update
from rota.slots import SlotClock

from .formats import refuse_unknown_options
from .opsgenie_escalations import EscalationSection
from .opsgenie_overrides import OverrideSection
from .opsgenie_people import PeopleSection
from .opsgenie_read import (
    Bundle,
    Unmappable,
    minute_label,
    parse_instant,
    parse_zone,
    read_documents,
    restriction_windows,
    source_mark,
    turn_unit,
    week_minutes,
)
from .rotation_writes import RotationWrites, warn_other_rotations

NAME = "opsgenie-schedules"
WEEK = range(7 * 24 * 60)
TURN_FIELDS = {"start_date", "handoff_time", "shift_length_unit", "shift_length_count", "timezone"}


@register(
    NAME,
    label="Opsgenie schedules, teams and escalations (API JSON)",
    kind="schedule",
    file_hint="JSON of Opsgenie's API: a bundle, or raw users, teams, schedules "
    "(?expand=rotation), overrides and escalations responses (README: Schedules from Opsgenie)",
    mapping_hint="takes no mapping (teams and people are matched by name and e-mail)",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import Opsgenie schedules into teams, rotations, overrides and escalation delays.

    ``options``: ``now`` (an aware datetime: import as of then; default now). Raise
    ``ImportRefused`` when the file is not Opsgenie JSON or an option (or a mapping) is given;
    everything else is reported.
    """
    refuse_unknown_options(options, ("now",))
    OpsgenieImport(read_documents(data), options, report, progress).run()


class OpsgenieImport(PeopleSection, OverrideSection, EscalationSection, RotationWrites):
    """One import run over a ``Bundle``."""

    layout_fields = TURN_FIELDS

    def __init__(self, bundle: Bundle, options: dict, report: ImportReport, progress: Progress):
        self.bundle = bundle
        self.report = report
        self.progress = progress
        self.now = options.get("now") or timezone.now()
        self.people: dict[str, object] = {}
        self.teams: dict[str, Team] = {}  # Opsgenie team id or name -> Rota team
        self.roles: dict[str, str] = {}  # schedule id or name -> Rota role
        self.schedule_rotations: dict[str, dict[str, Rotation]] = {}
        self.taken: dict[tuple, str] = {}  # (team id, role) -> the schedule giving it
        self.done = 0

    def step(self) -> None:
        self.done += 1
        total = len(self.bundle.teams) + len(self.bundle.schedules) + len(self.bundle.escalations)
        self.progress(self.done, total)

    def run(self) -> None:
        for escalation in self.bundle.escalations.values():
            for index, rule in enumerate(escalation.get("rules") or []):
                recipient = rule.get("recipient") if isinstance(rule, dict) else None
                is_schedule = isinstance(recipient, dict) and recipient.get("type") == "schedule"
                if is_schedule and index < 2:
                    role = Rotation.Role.PRIMARY if index == 0 else Rotation.Role.SECONDARY
                    for key in (recipient.get("id"), recipient.get("name")):
                        if key and self.roles.get(key) != Rotation.Role.PRIMARY:
                            self.roles[key] = role
        for team in sorted(self.bundle.teams.values(), key=_name_key):
            self.step()
            self.team(team, f'team "{team.get("name") or team["id"]}"')
        for schedule in sorted(self.bundle.schedules.values(), key=_name_key):
            self.step()
            self.schedule(schedule)
        for escalation in sorted(self.bundle.escalations.values(), key=_name_key):
            self.step()
            self.escalation(escalation)

    # --- schedules ----------------------------------------------------------------------

    def schedule(self, schedule: dict) -> None:
        name = schedule.get("name") or schedule["id"]
        where = f'schedule "{name}"'
        if schedule.get("enabled") is False:
            self.report.problem(where, "is disabled in Opsgenie: not imported")
            return
        owner = schedule.get("ownerTeam")
        if not isinstance(owner, dict):
            self.report.problem(where, "has no ownerTeam; Rota rotations belong to a team")
            return
        team = self.team(owner, f"{where} ownerTeam")
        if team is None:
            return
        try:
            tz = parse_zone(schedule.get("timezone"))
        except Unmappable as exc:
            self.report.problem(where, str(exc))
            return
        role = self.roles.get(schedule["id"]) or self.roles.get(name) or Rotation.Role.PRIMARY
        other = self.taken.setdefault((team.pk, role), name)
        if other != name:
            self.report.problem(
                where,
                f'gives team {team.slug} its {role}s, as schedule "{other}" does; Rota tries '
                "the rotations of both by layer and pages one person",
            )
        rotations = schedule.get("rotations")
        if not isinstance(rotations, list) or not rotations:
            self.report.problem(where, "has no rotations: fetch it with ?expand=rotation")
            rotations = []
        planned = []  # (rotation dict, label, fields, participants, anchor, minutes)
        for position, rotation in enumerate(rotations):
            label = f'{where} rotation "{(rotation or {}).get("name") or position + 1}"'
            if not isinstance(rotation, dict):
                self.report.problem(label, "not an object")
                continue
            try:
                found = self.rotation_fields(schedule, rotation, tz, label)
            except Unmappable as exc:
                self.report.problem(label, str(exc))
                continue
            if found is not None:
                planned.append((rotation, label, *found))
        # Fewest hours on duty a week: highest layer; equal ones in the schedule's order.
        ordered = sorted(enumerate(planned), key=lambda p: (len(p[1][5]), p[0]))
        imported = {}
        for rank, (_, (rotation, label, data, people, anchor, _)) in enumerate(ordered):
            data.update(
                name=_rotation_name(name, _title(rotation, label)),
                description=f"Imported from {source_mark(schedule['id'], rotation['id'])}.",
                kind=Rotation.Kind.PERSON,
                timezone=tz.key,
                team=team,
                role=role,
                layer=len(planned) - rank,
                active=True,
            )
            mark = source_mark(schedule["id"], rotation["id"])
            existing = Rotation.objects.filter(description__contains=f"{mark}.").first()
            result = self.upsert(label, existing, data, people, anchor)
            if result is not None:
                for key in (rotation["id"], rotation.get("name")):
                    if key:
                        imported[key] = result
        for (_, la, _, _, _, ma), (_, lb, _, _, _, mb) in itertools.combinations(planned, 2):
            both = ma & mb
            if both:
                # The first minute of the week at which both come on duty (not one carried over).
                first = min((m for m in both if (m - 1) % len(WEEK) not in both), default=min(both))
                self.report.problem(
                    f"{la} and {lb.split(' rotation ', 1)[1]}",
                    f"are both on duty at times (from {minute_label(first)}, "
                    f"{len(both) // 60} hours a week); Opsgenie notifies both, Rota pages the "
                    "rotation of the higher layer",
                )
        self.schedule_rotations[schedule["id"]] = imported
        self.retire(schedule, rotations)
        self.overrides(schedule, team, role, tz, len(planned) + 1, imported)
        warn_other_rotations(
            self.report,
            where,
            team=team,
            role=role,
            imported=Q(description__contains=source_mark(schedule["id"], "")),
            what="rotations",
        )

    def retire(self, schedule: dict, rotations: list) -> None:
        """Deactivate the imported rotations whose Opsgenie rotation left the schedule."""
        marks = [
            source_mark(schedule["id"], r.get("id"))
            for r in rotations
            if isinstance(r, dict) and r.get("id")
        ]
        marks.append(source_mark(schedule["id"], "overrides"))
        prefix = source_mark(schedule["id"], "")
        for rotation in Rotation.objects.filter(description__contains=prefix, active=True):
            # A mark ends with "." (rotations) or ":" (the overrides rotation).
            if any(f"{mark}{end}" in rotation.description for mark in marks for end in ".:"):
                continue
            done = self.write(
                rotation.name, lambda r=rotation: rotation_update(rotation=r, active=False)
            )
            if done:
                self.report.update(
                    "rotation", f"{rotation.name} (active: no longer in the schedule)"
                )

    def rotation_fields(self, schedule: dict, rotation: dict, tz, where: str):
        """Return (fields, participants, anchor, minutes of the week on duty), or None if over."""
        if not rotation.get("id"):
            raise Unmappable("has no id")
        unit, count = turn_unit(rotation)
        start = parse_instant(rotation.get("startDate"), "startDate")
        end = parse_instant(rotation["endDate"], "endDate") if rotation.get("endDate") else None
        windows = restriction_windows(rotation.get("timeRestriction"))
        existing = Rotation.objects.filter(
            description__contains=f"{source_mark(schedule['id'], rotation['id'])}."
        ).first()
        if end is not None and end <= self.now:
            self.report.problem(where, f"ended {_local(end, tz)}: not imported")
            if existing is not None and existing.active:
                self.write(where, lambda: rotation_update(rotation=existing, active=False))
                self.report.update("rotation", f"{existing.name} (active: the rotation ended)")
            return None
        if end is not None:
            self.report.problem(
                where,
                f"ends {_local(end, tz)}; Rota rotations do not end by themselves: deactivate "
                "it then (or import again after the end)",
            )
        refs = rotation.get("participants") or []
        if not isinstance(refs, list) or not refs:
            raise Unmappable("has no participants")
        # Turn k of the Opsgenie rotation is participants[k mod n]: find the turn in progress.
        start_local = start.astimezone(tz)
        clock = SlotClock(
            Rotation(
                shift_length_unit=unit,
                shift_length_count=count,
                handoff_time=start_local.time().replace(second=0, microsecond=0, tzinfo=None),
                timezone=tz.key,
                start_date=start_local.date(),
            )
        )
        k = max(clock.index_at(max(start, self.now)), 0)
        anchor = clock.boundary(k)
        kept, seen = [], set()
        for index, ref in enumerate(refs):
            ref = ref if isinstance(ref, dict) else {}
            kind = ref.get("type")
            who = ref.get("username") or ref.get("name") or ref.get("id") or "?"
            if kind == "user":
                try:
                    user = self.person(ref, f"{where} participant {who}")
                except Unmappable as exc:
                    self.report.problem(f"{where} participant {who}", str(exc))
                    continue
                if user.pk in seen:
                    self.report.problem(
                        f"{where} participant {who}",
                        "takes more than one turn; a Rota turn order names each person once: "
                        "the later turns are left out, so later turns come round sooner",
                    )
                    continue
                seen.add(user.pk)
                kept.append((index, user))
            elif kind == "none":
                self.report.problem(
                    f"{where} participant {index + 1} (none)",
                    "is a turn with nobody on call; Rota turn orders take people: the empty "
                    "turn is left out, so the turns after it come round sooner",
                )
            else:
                self.report.problem(
                    f"{where} participant {who} ({kind})",
                    f"is a{'n' if str(kind)[:1] in 'aeiou' else ''} {kind}; Rota person "
                    "rotations take people: add its members to the rotation by hand",
                )
        if not kept:
            raise Unmappable("has no user participants: not imported")
        first = k % len(refs)
        at = next((i for i, (index, _) in enumerate(kept) if index >= first), 0)
        people = [user for _, user in kept[at:] + kept[:at]]
        anchor_local = anchor.astimezone(tz)
        data = {
            "shift_length_unit": unit,
            "shift_length_count": count,
            "handoff_time": anchor_local.time().replace(tzinfo=None),
            "start_date": anchor_local.date(),
            "restriction": Rotation.Restriction.WEEKLY if windows else Rotation.Restriction.NONE,
            "restriction_windows": windows or [],
        }
        return data, people, anchor, week_minutes(windows)


def _title(rotation: dict, label: str) -> str:
    """The rotation's name, or its place in the schedule (``2``) when it has none."""
    return rotation.get("name") or label.rsplit('"', 2)[-2]


def _rotation_name(schedule: str, rotation: str) -> str:
    return f"{schedule} — {rotation}"[:150]


def _local(instant: datetime.datetime, tz) -> str:
    return f"{instant.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"


def _name_key(obj: dict) -> tuple:
    return (str(obj.get("name") or ""), str(obj["id"]))


__all__ = ["NAME", "run", "source_mark"]
