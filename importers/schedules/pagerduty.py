"""PagerDuty schedules, overrides and escalation policies, into Rota rotations and delays.

The input is the JSON PagerDuty's REST API returns, as one bundle or as several raw responses
(see :mod:`.pagerduty_read` and README "Schedules from PagerDuty"). Each schedule belongs to a
Rota team (``options["team"]``, or ``options["mapping"]["teams"]`` by schedule name or id) and
becomes one person rotation per layer: same turn length, handoff, turn order and time zone,
its restrictions as weekly windows, its ``layer`` number from PagerDuty's layer order, so the
highest layer with someone on duty answers as in PagerDuty's final schedule. A schedule's
overrides go on one more rotation, "<schedule> — overrides", layered above all of them and
without turns of its own, so an override holds whatever the layers under it say.

The role comes from the escalation policies: a schedule paged at level 1 gives primaries, at
level 2 secondaries. A policy's rules become the delays of the team's support policy: Rota
pages the primary at once, the secondary when PagerDuty would reach level 2 and the team's leads
when it would reach level 3 (or leave level 2).

Imported rotations carry ``[PagerDuty schedule <id> layer <id>]`` in their description and
imported overrides ``PagerDuty override <id>`` as their reason: a second import finds them and
changes only what changed. What cannot be mapped is reported naming the schedule, layer, user or
policy, and left out; everything else is imported.
"""

from __future__ import annotations

import yaml
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from importers.base import ImportRefused, ImportReport, Progress, excerpt
from importers.registry import register
from ownership.models import Team
from rota.models import Rotation
from rota.services import (
    rotation_update,
)
from rota.services.rotations import LAYOUT_FIELDS

from .formats import refuse_unknown_options
from .pagerduty_check import compare_final_schedule
from .pagerduty_overrides import OverrideSection
from .pagerduty_policies import PolicySection
from .pagerduty_read import (
    Bundle,
    LayerClock,
    Unmappable,
    escalation_levels,
    parse_instant,
    parse_zone,
    read_documents,
    restriction_windows,
    source_mark,
    turn_unit,
)
from .rotation_writes import RotationWrites, warn_other_rotations

NAME = "pagerduty-schedules"
ENDED = "ended"  # a layer whose end has passed
User = get_user_model()


def read_mapping(data: bytes | str | dict | None) -> dict:
    """Return ``{"teams": {schedule: slug}, "support_policies": {policy: name}}``.

    ``data`` is YAML or JSON text, or already a dict. A flat ``{schedule: team slug}`` is read
    as the ``teams`` part. Raise ``ImportRefused`` when it is neither.
    """
    if data is None:
        return {"teams": {}, "support_policies": {}}
    if isinstance(data, dict):
        doc = data
    else:
        try:
            doc = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise ImportRefused(f"mapping is not valid YAML or JSON: {exc}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ImportRefused("mapping must be a mapping")
    if not {"teams", "support_policies"} & set(doc):
        doc = {"teams": doc}
    out = {}
    for key in ("teams", "support_policies"):
        part = doc.get(key) or {}
        if not isinstance(part, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in part.items()
        ):
            raise ImportRefused(f"mapping.{key} must map names or ids to names")
        out[key] = part
    return out


@register(
    NAME,
    label="PagerDuty schedules and escalation policies (API JSON)",
    kind="schedule",
    file_hint="JSON of PagerDuty's API: a bundle, or raw schedule, overrides, escalation "
    "policy and users responses (README: Schedules from PagerDuty)",
    mapping_hint="{schedule name or id: team slug}",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import PagerDuty schedules into rotations, overrides and escalation delays.

    ``options``: ``team`` (a team slug for every schedule), ``mapping`` (see ``read_mapping``),
    ``now`` (an aware datetime: import as of then; default now). Raise ``ImportRefused`` when
    the file is not PagerDuty JSON, an option is unknown, a team slug is not in Rota, or the
    file has schedules and neither ``team`` nor a mapping of teams is given.
    """
    refuse_unknown_options(options, ("team", "mapping", "now"))
    bundle = read_documents(data)
    mapping = read_mapping(options.get("mapping"))
    slug = options.get("team") or None
    if slug is not None and not Team.objects.filter(slug=slug).exists():
        raise ImportRefused(f'no Rota team has the slug "{excerpt(slug)}"', where="option team")
    unknown = sorted(
        set(mapping["teams"].values()) - set(Team.objects.values_list("slug", flat=True))
    )
    if unknown:
        raise ImportRefused(
            f"no Rota team has the slug {', '.join(repr(excerpt(u)) for u in unknown)}",
            where="mapping teams",
        )
    if bundle.schedules and slug is None and not mapping["teams"]:
        raise ImportRefused(
            "give the Rota team of the schedules (team=SLUG), or a mapping "
            "{schedule name or id: team slug}",
            where="option team",
        )
    ScheduleImport(bundle, options, report, progress).run()


class ScheduleImport(PolicySection, OverrideSection, RotationWrites):
    """One import run over a ``Bundle``."""

    layout_fields = LAYOUT_FIELDS

    def __init__(self, bundle: Bundle, options: dict, report: ImportReport, progress: Progress):
        self.bundle = bundle
        self.report = report
        self.progress = progress
        self.now = options.get("now") or timezone.now()
        self.team_default = options.get("team") or None
        mapping = read_mapping(options.get("mapping"))
        self.team_map = mapping["teams"]
        self.policy_map = mapping["support_policies"]
        self.levels: dict[str, int] = {}  # schedule id -> lowest escalation level paging it
        self.schedule_team: dict[str, Team] = {}
        self.taken: dict[tuple, str] = {}  # (team id, role) -> schedule name
        self.people: dict[str, object] = {}
        self.done = 0

    def step(self) -> None:
        self.done += 1
        self.progress(self.done, len(self.bundle.schedules) + len(self.bundle.policies))

    def run(self) -> None:
        for policy in self.bundle.policies.values():
            try:
                levels = escalation_levels(policy)
            except Unmappable:
                continue  # reported with the policy
            for level in levels:
                for kind, target in level.targets:
                    if kind.startswith("schedule") and level.number < self.levels.get(target, 99):
                        self.levels[target] = level.number
        for schedule in sorted(self.bundle.schedules.values(), key=_name_key):
            self.step()
            self.schedule(schedule)
        for policy in sorted(self.bundle.policies.values(), key=_name_key):
            self.step()
            self.policy(policy)

    # --- people and teams ---------------------------------------------------------------

    def person(self, ref) -> object:
        """Return the Rota user of a PagerDuty user reference, matched by e-mail."""
        ref = ref.get("user", ref) if isinstance(ref, dict) else {}
        user_id = str(ref.get("id") or "")
        known = self.bundle.users.get(user_id, {})
        label = known.get("name") or ref.get("summary") or ref.get("name") or user_id or "?"
        email = known.get("email") or ref.get("email")
        if not email:
            raise Unmappable(
                f"user {label} ({user_id}) has no e-mail in the files: add GET /users to them"
            )
        if email.lower() not in self.people:
            self.people[email.lower()] = (
                User.objects.filter(email__iexact=email).order_by("pk").first()
            )
        user = self.people[email.lower()]
        if user is None:
            raise Unmappable(f"user {label} <{email}> has no Rota account with that e-mail")
        return user

    def team_for(self, schedule: dict) -> Team:
        slug = (
            self.team_map.get(schedule["id"])
            or self.team_map.get(schedule.get("name") or "")
            or self.team_default
        )
        if not slug:
            raise Unmappable(
                "a PagerDuty schedule has no team: give team=SLUG or map it in the mapping"
            )
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise Unmappable(f'team "{slug}" does not exist in Rota')
        return team

    # --- schedules ----------------------------------------------------------------------

    def schedule(self, schedule: dict) -> None:
        name = schedule.get("name") or schedule["id"]
        where = f'schedule "{name}"'
        level = self.levels.get(schedule["id"], 1)
        if level > 2:
            self.report.problem(
                where,
                f"is paged only at escalation level {level}; Rota's rotations are primary "
                "or secondary (its third step is the team's leads): not imported",
            )
            return
        role = Rotation.Role.PRIMARY if level == 1 else Rotation.Role.SECONDARY
        try:
            team = self.team_for(schedule)
            tz = parse_zone(schedule.get("time_zone"))
        except Unmappable as exc:
            self.report.problem(where, str(exc))
            return
        other = self.taken.get((team.pk, role))
        if other is not None:
            self.report.problem(
                where,
                f'team {team.slug} already takes its {role} from schedule "{other}"; Rota '
                "answers one person per role: not imported",
            )
            return
        self.taken[(team.pk, role)] = name
        self.schedule_team[schedule["id"]] = team
        layers = schedule.get("schedule_layers") or []
        if not isinstance(layers, list):
            self.report.problem(where, "schedule_layers must be a list")
            return
        # GET /schedules/{id} lists the top layer (the last in PagerDuty's editor, the one
        # that wins) first: the first of n layers is layer n.
        imported, complete = [], True
        for position, layer in enumerate(layers):
            if not isinstance(layer, dict):
                self.report.problem(f"{where} schedule_layers[{position}]", "not an object")
                complete = False
                continue
            rotation = self.layer(schedule, layer, len(layers) - position, team, role, tz)
            if rotation is None:
                complete = False
            elif rotation is not ENDED:
                imported.append(rotation)
        overrides = self.overrides(
            schedule, len(layers) + 1, team, role, tz, beneath=bool(imported)
        )
        if overrides is not None:
            imported.append(overrides)
        if complete and imported:
            compare_final_schedule(
                schedule, imported, now=self.now, email_of=self.email_of, report=self.report
            )
        warn_other_rotations(
            self.report,
            where,
            team=team,
            role=role,
            imported=Q(description__contains=f"[PagerDuty schedule {schedule['id']} layer "),
            what="layers",
        )

    def email_of(self, ref) -> str:
        """Return the e-mail of a PagerDuty user reference, or its name when none is known."""
        ref = ref.get("user", ref) if isinstance(ref, dict) else {}
        known = self.bundle.users.get(str(ref.get("id") or ""), {})
        return (known.get("email") or ref.get("email") or ref.get("summary") or "?").lower()

    def layer(self, schedule, layer, number, team, role, tz):
        """Import one layer; return its rotation, ``ENDED``, or None when not imported."""
        schedule_name = schedule.get("name") or schedule["id"]
        layer_name = layer.get("name") or f"Layer {number}"
        where = f'schedule "{schedule_name}" layer "{layer_name}"'
        mark = source_mark(schedule["id"], str(layer.get("id") or number))
        existing = Rotation.objects.filter(description__contains=mark).first()
        try:
            data, participants, anchor = self.layer_fields(layer, tz, where)
        except Unmappable as exc:
            self.report.problem(where, str(exc))
            return None
        if data is None:  # ended
            if existing is not None and existing.active:
                self.write(where, lambda: rotation_update(rotation=existing, active=False))
                self.report.update("rotation", f"{existing.name} (active: the layer ended)")
            return ENDED
        data.update(
            name=f"{schedule_name} — {layer_name}"[:150],
            description=f"Imported from {mark}",
            kind=Rotation.Kind.PERSON,
            timezone=tz.key,
            team=team,
            role=role,
            layer=number,
            active=True,
        )
        return self.upsert(where, existing, data, participants, anchor)

    def layer_fields(self, layer: dict, tz, where: str):
        """Return (rotation fields, participants, anchor instant), or (None, ...) if ended."""
        start = parse_instant(layer.get("start"), "start")
        end = parse_instant(layer["end"], "end") if layer.get("end") else None
        if end is not None and end <= self.now:
            return None, None, None
        virtual_start = parse_instant(layer.get("rotation_virtual_start"), "rotation_virtual_start")
        turn = layer.get("rotation_turn_length_seconds")
        unit, count = turn_unit(turn)
        windows = restriction_windows(layer.get("restrictions"))
        refs = layer.get("users") or []
        if not isinstance(refs, list) or not refs:
            raise Unmappable("has no users")
        people, missing = [], []
        for ref in refs:
            try:
                people.append(self.person(ref))
            except Unmappable as exc:
                missing.append(str(exc))
        for message in missing:
            self.report.problem(where, message)
        if missing:
            raise Unmappable("not imported: its turn order needs every user")
        if len({p.pk for p in people}) != len(people):
            raise Unmappable(
                "lists a user more than once; a Rota turn order names each person once"
            )
        clock = LayerClock(virtual_start, turn, tz)
        # Deal from the turn in progress (or the layer's first turn): PagerDuty's user for
        # turn k is users[k mod n], so the turn order starts with that one.
        k = clock.index_at(max(start, self.now))
        anchor_local, anchor = clock.local(k), clock.boundary(k)
        if start > self.now and anchor != start:
            self.report.problem(
                where,
                f"starts at {start.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}, inside a turn; "
                f"Rota starts it at that turn's handoff, {anchor_local:%Y-%m-%d %H:%M}",
            )
        if end is not None:
            self.report.problem(
                where,
                f"ends at {end.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}; Rota rotations do not "
                "end by themselves: deactivate it then (or import again after the end)",
            )
        participants = [people[(k + j) % len(people)] for j in range(len(people))]
        data = {
            "shift_length_unit": unit,
            "shift_length_count": count,
            "handoff_time": anchor_local.time(),
            "start_date": anchor_local.date(),
            "restriction": Rotation.Restriction.WEEKLY if windows else Rotation.Restriction.NONE,
            "restriction_windows": windows or [],
        }
        return data, participants, anchor


def _name_key(obj: dict) -> tuple:
    return (str(obj.get("name") or ""), obj["id"])


__all__ = ["NAME", "read_mapping", "run", "source_mark"]
