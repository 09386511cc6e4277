"""Writing an imported schedule's rotations: create or update one, deal its shifts, report.

Shared by the Opsgenie and PagerDuty schedule importers as :class:`RotationWrites`, a mixin of
their import classes (which carry ``report``, an ``ImportReport``, and ``now``, an aware
datetime); :func:`warn_other_rotations` by every schedule importer. This module registers no
importer.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q

from importers.base import ImportReport
from rota.models import Rotation, Shift
from rota.services import rotation_create, rotation_generate, rotation_update
from rota.slots import SlotClock


class RotationWrites:
    """Create, update and deal imported rotations; a refused write is reported, not raised.

    ``layout_fields``: the rotation fields whose change re-deals its shifts from the source's
    turn in progress (the turn order would otherwise continue from the shifts dealt before).
    """

    layout_fields: set[str] | frozenset[str] = frozenset()

    def upsert(self, where, rotation, data, participants, anchor) -> Rotation | None:
        """Create or update one rotation, dealing its shifts from ``anchor``.

        ``participants`` is the turn order (users), or None to leave it as it is; ``anchor``
        an aware datetime at which a turn starts, or None to deal nothing. Return the
        rotation, or None when the services refused it (reported under ``where``).
        """
        if rotation is None:
            created = self.write(where, lambda: rotation_create(participants=participants, **data))
            if created is not None:
                self.deal(created, anchor)
                self.report.create("rotation", f"{created.name} ({len(participants)} people)")
            return created
        if participants is not None and same_turns(rotation, data, participants, anchor):
            # The same handoffs and turn order, counted from an earlier turn: keep them.
            data = {k: v for k, v in data.items() if k != "start_date"}
            participants = None
        changes = {k: v for k, v in data.items() if getattr(rotation, k) != v}
        if participants is not None:
            have = [p.user_id for p in rotation.participants.order_by("position", "id")]
            if have == [p.pk for p in participants]:
                participants = None
        if not changes and participants is None:
            self.report.keep("rotation")
            return rotation
        updated = self.write(
            where,
            lambda: rotation_update(
                rotation=rotation, participants=participants, regenerate=False, **changes
            ),
        )
        if updated is None:
            return None
        if participants is not None or self.layout_fields & set(changes):
            # New handoffs or turn order: deal afresh from the source's turn in progress.
            Shift.objects.filter(rotation=updated).delete()
            self.deal(updated, anchor)
        what = sorted([*changes, *(["participants"] if participants is not None else [])])
        self.report.update("rotation", f"{updated.name} ({', '.join(what)})")
        return updated

    def deal(self, rotation: Rotation, anchor) -> None:
        """Generate the rotation's shifts for its horizon, turns counted from ``anchor``."""
        if anchor is not None and rotation.participants.exists():
            until = self.now + datetime.timedelta(weeks=rotation.horizon_weeks)
            rotation_generate(rotation=rotation, until=until, now=min(anchor, self.now))

    def write(self, where: str, action):
        """Run ``action``; on ValidationError report its messages under ``where``, return None."""
        try:
            return action()
        except ValidationError as exc:
            self.report.problem(where, "; ".join(messages(exc)))
            return None


def same_turns(rotation: Rotation, data: dict, participants, anchor) -> bool:
    """Tell whether an existing rotation hands off at ``anchor`` to the same turn order."""
    fields = ("shift_length_unit", "shift_length_count", "handoff_time", "timezone")
    if any(getattr(rotation, f) != data[f] for f in fields) or rotation.is_sprint_based:
        return False
    have = [p.user_id for p in rotation.participants.order_by("position", "id")]
    if len(have) != len(participants) or not have:
        return False
    clock = SlotClock(rotation)
    index = clock.index_at(anchor)
    if index < 0 or clock.boundary(index) != anchor:
        return False
    return [have[(index + j) % len(have)] for j in range(len(have))] == [p.pk for p in participants]


def messages(exc: ValidationError) -> list[str]:
    """The messages of a ValidationError, each prefixed by its field when it names one."""
    if hasattr(exc, "message_dict"):
        return [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
    return list(exc.messages)


def warn_other_rotations(
    report: ImportReport, where: str, *, team, role: str, imported: Q, what: str
) -> int:
    """Warn about each other active person rotation of ``team`` with ``role``.

    Rota's on-call answer takes, among a team's active rotations of one role, the highest layer
    with someone on duty, then the oldest rotation: another rotation can answer instead of the
    imported ones, which are the rotations ``imported`` (a filter) selects. ``what`` names
    them ("layers", "rotations"). Return the number of warnings.
    """
    others = (
        Rotation.objects.filter(team=team, role=role, kind=Rotation.Kind.PERSON, active=True)
        .exclude(imported)
        .order_by("name", "pk")
    )
    count = 0
    for other in others:
        count += 1
        report.warn(
            where,
            f'team {team.slug} also has rotation "{other.name}" as {role}; it answers '
            f"beside the imported {what} (highest layer first): deactivate it if this "
            "schedule replaces it",
        )
    return count
