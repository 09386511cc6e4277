"""Grafana OnCall schedules, overrides and escalation chains, from its public API's JSON.

The file and the way shifts are read are described in :mod:`.grafana_oncall_read`; the mapping
to Rota is the README's table ("Schedules from Grafana OnCall"). In short: each schedule's team
(or, without one, the schedule) is a Rota team found by name or created; each rolling_users or
recurrent_event shift is a person rotation "<schedule> — <shift>" of that team, its ``level``
the rotation's ``layer`` (level + 1); each override of the schedule is a Rota override of the
rotation that answers at that time (split where that changes, see ``override_pieces``), so it
beats every level as in Grafana OnCall; an escalation chain sets the delays of
the support policy whose support team is the team of the schedule it notifies. Rotations keep
``source = "grafana-oncall"`` and ``source_id = "<schedule id>/<shift id>"``, overrides their id
in ``reason``, so a second import updates instead of adding copies. Everything else is a
problem naming the object.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from core.timeutil import local_at, local_to_utc, zone
from importers.base import ImportReport, Progress
from importers.registry import register
from importers.rota_yaml.reader import deal_from_start
from ownership.models import Team
from ownership.services import team_create
from rota.dealing import subtract
from rota.intervals import intersection
from rota.models import Override, Rotation
from rota.services import override_create, override_delete, rotation_create, rotation_update
from rota.weekly import weekly_windows

from .formats import refuse_unknown_options
from .grafana_oncall_escalation import EscalationSection, errors_text
from .grafana_oncall_read import Unmappable, local_time, plan_rotation, read_bundle, zone_named
from .rotation_writes import warn_other_rotations

NAME = "grafana-oncall-schedules"
SOURCE = "grafana-oncall"
DASH = "\u2014"


def _on_duty(rotation: Rotation, start, end) -> list[tuple]:
    """Return when within [start, end) an imported rotation has someone on duty.

    Imported rotations are dealt without gaps from their first handoff, so that is its
    restriction's windows from then on.
    """
    tz = zone(rotation.timezone)
    begin = max(start, local_at(rotation.start_date, rotation.handoff_time, tz))
    if begin >= end:
        return []
    if rotation.restriction == Rotation.Restriction.WEEKLY:
        return weekly_windows(rotation.restriction_windows, begin, end, tz)
    return [(begin, end)]


def override_pieces(rotations: list[Rotation], start, end) -> tuple[list, list]:
    """Split [start, end) by the rotation that answers (highest layer on duty, then id).

    Return ``([(rotation, from, until)], [(from, until) nobody answers])``. A Grafana OnCall
    override beats every level of its schedule; in Rota an override holds one rotation within
    that rotation's hours, so each part goes to the rotation that would answer then. Parts
    where none is on duty go to the highest rotation around the clock, if there is one.
    """
    remaining, pieces = [(start, end)], []
    ordered = sorted(rotations, key=lambda r: (-r.layer, r.pk))
    for rotation in ordered:
        taken = intersection(remaining, _on_duty(rotation, start, end))
        pieces += [(rotation, s, e) for s, e in taken]
        remaining = [part for s, e in remaining for part in subtract(s, e, taken)]
    around = [r for r in ordered if r.restriction == Rotation.Restriction.NONE]
    if around and remaining:
        pieces += [(around[0], s, e) for s, e in remaining]
        remaining = []
    pieces.sort(key=lambda piece: piece[1])
    merged = []
    for rotation, s, e in pieces:
        if merged and merged[-1][0] == rotation and merged[-1][2] == s:
            merged[-1] = (rotation, merged[-1][1], e)
        else:
            merged.append((rotation, s, e))
    return merged, remaining


class GrafanaImport(EscalationSection):
    """One import run over a read bundle (see ``run``)."""

    def __init__(self, bundle: dict, report: ImportReport, now: datetime.datetime, progress):
        self.b = bundle
        self.report = report
        self.now = now
        self.progress = progress
        self.users: dict[str, object] = {}
        self.teams: dict[str, Team] = {}
        self.created: list[Rotation] = []
        self.secondary: set[str] = set()

    # --- people and teams -------------------------------------------------------------------

    def user(self, uid: str):
        """Return the Rota account of a Grafana user: by e-mail, else username, else a new one."""
        if uid in self.users:
            return self.users[uid]
        source = self.b["users"].get(uid)
        if source is None:
            raise Unmappable(f'user "{uid}" is not in the users section')
        User = get_user_model()
        email = (source.get("email") or "").strip()
        username = (source.get("username") or "").strip() or email.split("@")[0]
        found = User.objects.filter(email__iexact=email).first() if email else None
        found = found or User.objects.filter(username=username).first()
        if found is None:
            if not username:
                raise Unmappable(f'user "{uid}" has neither username nor email')
            found = User(username=username, email=email)
            found.set_unusable_password()
            try:
                found.full_clean()
            except ValidationError as error:
                raise Unmappable(f'user "{uid}": {errors_text(error)}') from None
            found.save()
            self.report.create("person", f"{username} <{email}> (new account without a password)")
        self.users[uid] = found
        return found

    def team_for(self, schedule: dict) -> Team:
        team_id = str(schedule.get("team_id") or "")
        source = self.b["teams"].get(team_id) if team_id else None
        name = ((source or {}).get("name") or schedule.get("name") or schedule["id"])[:100]
        key = name.lower()
        if key in self.teams:
            return self.teams[key]
        team = Team.objects.filter(name__iexact=name).first()
        if team is None:
            base = slugify(name)[:50] or "team"
            slug, n = base, 1
            while Team.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            team = team_create(name=name, slug=slug)
            self.report.create("team", f"{name} ({slug})")
        self.teams[key] = team
        return team

    # --- rotations ----------------------------------------------------------------------------

    def upsert_rotation(self, source_id: str, fields: dict, participants: list) -> Rotation:
        rotation = Rotation.objects.filter(source=SOURCE, source_id=source_id).first()
        label = fields["name"]
        if rotation is None:
            rotation = rotation_create(
                source=SOURCE, source_id=source_id, participants=participants, **fields
            )
            self.report.create("rotation", label)
            self.created.append(rotation)
            return rotation
        changes = {k: v for k, v in fields.items() if getattr(rotation, k) != v}
        have = list(
            rotation.participants.order_by("position", "id").values_list("user_id", flat=True)
        )
        moved = have != [u.pk for u in participants]
        if not changes and not moved:
            self.report.keep("rotation")
            return rotation
        rotation_update(rotation=rotation, participants=participants if moved else None, **changes)
        what = sorted([*changes, *(["participants"] if moved else [])])
        self.report.update("rotation", f"{label} ({', '.join(what)})")
        return rotation

    def schedule(self, schedule: dict) -> None:
        sid = str(schedule["id"])
        where = f'schedule "{schedule.get("name") or ""}" ({sid})'
        if schedule.get("type") == "ical":
            self.report.problem(
                where, "an iCal schedule: import its ical_url_primary with the iCal importer"
            )
            return
        if schedule.get("ical_url_overrides"):
            self.report.problem(
                where, "ical_url_overrides is not read; add those overrides by hand"
            )
        try:
            zone_name = zone_named(schedule.get("time_zone"), "time_zone")
        except Unmappable as error:
            self.report.problem(where, str(error))
            return
        team = self.team_for(schedule)
        role = "secondary" if sid in self.secondary else "primary"
        shifts, overrides = [], []
        named = [str(i) for i in schedule.get("shifts") or []]
        named += [i for i, sh in self.b["on_call_shifts"].items() if str(sh.get("schedule")) == sid]
        for shift_id in dict.fromkeys(named):
            shift = self.b["on_call_shifts"].get(str(shift_id))
            if shift is None:
                self.report.problem(
                    where, f'shift "{shift_id}" is not in the on_call_shifts section'
                )
            elif shift.get("type") == "override":
                overrides.append(shift)
            else:
                shifts.append(shift)
        rotations = [self.shift(schedule, shift, zone_name, team, role) for shift in shifts]
        rotations = [r for r in rotations if r is not None]
        if overrides:
            self.overrides(schedule, overrides, zone_name, rotations)
        if rotations:
            warn_other_rotations(
                self.report,
                where,
                team=team,
                role=role,
                imported=Q(source=SOURCE, source_id__startswith=f"{sid}/"),
                what="rotations",
            )

    def shift(self, schedule, shift, zone_name, team, role) -> Rotation | None:
        where = (
            f'shift "{shift.get("name") or ""}" ({shift["id"]}) '
            f'of schedule "{schedule.get("name") or ""}"'
        )
        try:
            shift_zone = zone_named(shift.get("time_zone") or zone_name, "time_zone")
            plan = plan_rotation(shift, shift_zone)
            begins = None
            if shift.get("rotation_start"):
                begins = local_time(shift["rotation_start"], shift_zone, "rotation_start")
        except Unmappable as error:
            self.report.problem(where, str(error))
            return None
        if plan.until is not None:
            end = local_to_utc(plan.until, zone(shift_zone))
            if end <= self.now:
                self.report.problem(where, f"ended on {plan.until:%Y-%m-%d %H:%M}; not imported")
                return None
            self.report.problem(
                where,
                f"ends on {plan.until:%Y-%m-%d %H:%M} {shift_zone}; Rota rotations do not end: "
                "make the rotation inactive then",
            )
        if begins is not None and local_to_utc(begins, zone(shift_zone)) > self.now:
            self.report.problem(
                where,
                f"takes effect on {begins:%Y-%m-%d %H:%M} (rotation_start); Rota deals it from "
                "its start: import again after that date, or edit the rotation then",
            )
        try:
            people = [self.user(group[0]) for group in plan.groups]
        except Unmappable as error:
            self.report.problem(where, str(error))
            return None
        if len({p.pk for p in people}) != len(people):
            self.report.problem(where, "a user takes two turns; Rota lists each person once")
            return None
        for loss in plan.losses:
            self.report.problem(where, loss)
        fields = {
            **plan.fields,
            "name": f"{schedule.get('name')} {DASH} {shift.get('name') or shift['id']}"[:150],
            "team": team,
            "role": role,
        }
        try:
            return self.upsert_rotation(f"{schedule['id']}/{shift['id']}", fields, people)
        except ValidationError as error:
            self.report.problem(where, errors_text(error))
            return None

    def overrides(self, schedule, overrides, zone_name, rotations) -> None:
        """Cover each override's window on whichever rotation of the schedule answers then."""
        for shift in overrides:
            here = f'override "{shift.get("name") or ""}" ({shift["id"]})'
            try:
                shift_zone = zone_named(shift.get("time_zone") or zone_name, "time_zone")
                local = local_time(shift.get("start"), shift_zone, "start")
                start = local_to_utc(local, zone(shift_zone))
                seconds = shift.get("duration")
                if not isinstance(seconds, int) or seconds <= 0:
                    raise Unmappable(f'duration "{seconds}" is not a positive number of seconds')
                end = start + datetime.timedelta(seconds=seconds)
                users = shift.get("users") or [
                    u for g in shift.get("rolling_users") or [] for u in g
                ]
                if not users:
                    raise Unmappable("nobody covers (no users)")
                if len(users) > 1:
                    self.report.problem(here, "several users cover; Rota keeps the first")
                user = self.user(str(users[0]))
            except Unmappable as error:
                self.report.problem(here, str(error))
                continue
            if end <= self.now:
                continue  # past overrides are history, not configuration
            pieces, uncovered = override_pieces(rotations, max(start, self.now), end)
            for s, e in uncovered:
                self.report.problem(
                    here,
                    f"{s:%Y-%m-%d %H:%M}-{e:%Y-%m-%d %H:%M} UTC lies outside every imported "
                    "rotation's hours; that part is not imported",
                )
            try:
                self.write_override(here, shift["id"], pieces, user)
            except ValidationError as error:
                self.report.problem(here, errors_text(error))

    def write_override(self, here, source_id, pieces, user) -> None:
        """Make the overrides of one Grafana OnCall override exactly ``pieces`` (from now on)."""
        reason = f"Grafana OnCall override {source_id}"
        existing = list(
            Override.objects.filter(
                rotation__source=SOURCE, reason=reason, end__gt=self.now
            ).select_related("rotation")
        )
        have = {(o.rotation_id, o.start, o.end, o.user_id) for o in existing}
        wanted = {(r.pk, s, e, user.pk) for r, s, e in pieces}
        if have == wanted:
            self.report.keep("override")
            return
        for override in existing:
            override_delete(override=override)
        for rotation, s, e in pieces:
            override_create(rotation=rotation, reason=reason, start=s, end=e, user=user)
        names = ", ".join(dict.fromkeys(r.name for r, _, _ in pieces))
        if existing:
            self.report.update("override", f"{here} on {names}")
        else:
            self.report.create("override", f"{here} on {names}")

    def load(self) -> None:
        steps = self.chain_steps()
        self.roles_from_chains(steps)
        schedules = list(self.b["schedules"].values())
        in_schedules = {str(s) for sc in schedules for s in sc.get("shifts") or []}
        in_schedules |= {
            i
            for i, sh in self.b["on_call_shifts"].items()
            if str(sh.get("schedule")) in self.b["schedules"]
        }
        for shift_id, shift in self.b["on_call_shifts"].items():
            if shift_id not in in_schedules:
                self.report.problem(
                    f'shift "{shift.get("name") or ""}" ({shift_id})',
                    "belongs to no schedule of the file",
                )
        for done, schedule in enumerate(schedules, start=1):
            self.schedule(schedule)
            self.progress(done, len(schedules))
        self.escalation(steps)
        if self.created:
            deal_from_start(rotations=self.created, now=self.now)


@register(
    NAME,
    label="Grafana OnCall schedules and escalation chains",
    kind="schedule",
    file_hint="Grafana OnCall API JSON bundle: users, teams, schedules, on_call_shifts, "
    "escalation_chains, escalation_policies",
    mapping_hint="takes no mapping (teams and people are matched by name and e-mail)",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import Grafana OnCall schedules; see the module docstring and the README table.

    ``options``: ``now`` (aware datetime, default the current time) is the instant the import
    counts from: shifts are dealt from the rotations' starts and kept from ``now`` on, and
    overrides and rotations over before it are left out. Raises ImportRefused when the file is
    not a bundle, or an option (or a mapping) is given.
    """
    refuse_unknown_options(options, ("now",))
    bundle = read_bundle(data)
    now = options.get("now") or timezone.now()
    GrafanaImport(bundle, report, now, progress).load()
