"""The overrides half of the Opsgenie importer (mixed into ``opsgenie.OpsgenieImport``).

An override naming rotations goes on each of those rotations; one naming none goes on the
schedule's "overrides" rotation, which has no turns and is layered above every rotation, so it
wins everywhere in its window as in Opsgenie. Imported overrides keep ``Opsgenie override
<alias>`` as their reason; one no longer in the file is deleted when the file holds that
schedule's overrides.
"""

from __future__ import annotations

import datetime

from rota.models import Override, Rotation
from rota.services import override_create, override_delete, override_update

from .opsgenie_read import Unmappable, parse_instant, source_mark

OVERRIDE_REASON = "Opsgenie override "


class OverrideSection:
    """Uses the importer's ``bundle``, ``report``, ``now``, ``person``, ``upsert``, ``write``."""

    def overrides(self, schedule, team, role, tz, layer, imported) -> None:
        name = schedule.get("name") or schedule["id"]
        where = f'schedule "{name}" overrides'
        items = self.bundle.overrides_of(schedule)
        if items is None:
            return  # none given: leave those imported before alone
        mark = source_mark(schedule["id"], "overrides")
        wide = Rotation.objects.filter(description__contains=f"{mark}:").first()
        targets: dict[str, list] = {}  # alias -> [(rotation, item)]
        # The overrides rotation is made for a schedule-wide override still to come that puts a
        # Rota user on call, above a rotation of the schedule that was imported.
        needs_wide = any(
            isinstance(i, dict)
            and not i.get("rotations")
            and self.ahead(i.get("endDate"))
            and (i.get("user") or {}).get("type", "user") == "user"
            and self.maps(i.get("user") or {}, f'{where} "{i.get("alias")}"')
            for i in items
        )
        if needs_wide and wide is None and not imported:
            self.report.problem(
                where,
                "no rotation of the schedule was imported, so neither are its schedule-wide "
                "overrides",
            )
        elif needs_wide or wide is not None:
            data = {
                "name": f"{name} — overrides"[:150],
                "description": f"Imported from {mark}: Opsgenie's schedule-wide overrides, "
                "above every rotation.",
                "kind": Rotation.Kind.PERSON,
                "timezone": tz.key,
                "team": team,
                "role": role,
                "layer": layer,
                "shift_length_unit": Rotation.Unit.WEEKS,
                "shift_length_count": 1,
                "handoff_time": datetime.time(0, 0),
                "start_date": wide.start_date if wide else self.now.astimezone(tz).date(),
                "restriction": Rotation.Restriction.NONE,
                "restriction_windows": [],
                "active": True,
            }
            wide = self.upsert(where, wide, data, None if wide else [], None)
        for item in items:
            if not isinstance(item, dict) or not item.get("alias"):
                self.report.problem(where, "an override without an alias: not imported")
                continue
            alias = str(item["alias"])
            label = f'{where} "{alias}"'
            named = item.get("rotations") or []
            if not named:  # None when no overrides rotation was needed: checked and reported
                targets.setdefault(alias, []).append((wide, item))
                continue
            for ref in named:
                ref = ref if isinstance(ref, dict) else {}
                rotation = imported.get(ref.get("id")) or imported.get(ref.get("name"))
                if rotation is None:
                    self.report.problem(
                        label,
                        f'names rotation "{ref.get("name") or ref.get("id")}", which was not '
                        "imported: left out there",
                    )
                    continue
                targets.setdefault(alias, []).append((rotation, item))
        rotations = [*imported.values(), *([wide] if wide else [])]
        have = {
            (o.rotation_id, o.reason[len(OVERRIDE_REASON) :]): o
            for o in Override.objects.filter(
                rotation__in=rotations, reason__startswith=OVERRIDE_REASON
            ).select_related("user")
        }
        seen = set()
        for alias, pairs in sorted(targets.items()):
            label = f'{where} "{alias}"'
            item = pairs[0][1]
            for rotation, _ in pairs:
                if rotation is not None:
                    seen.add((rotation.pk, alias))
            try:
                start = parse_instant(item.get("startDate"), "startDate")
                end = parse_instant(item.get("endDate"), "endDate")
                if end <= start:
                    raise Unmappable("ends before it starts")
                ref = item.get("user") or {}
                if ref.get("type") not in (None, "user"):
                    raise Unmappable(
                        f"puts {' '.join(str(x) for x in (ref.get('type'), ref.get('name')) if x)}"
                        " on call; Rota overrides name a person"
                    )
                user = self.person(ref, label)
            except Unmappable as exc:
                self.report.problem(label, str(exc))
                continue
            if end <= self.now:
                continue  # over: history, not configuration
            for rotation, _ in pairs:
                if rotation is not None:
                    self.override(label, rotation, alias, start, end, user, have, tz)
        for (rotation_id, alias), override in have.items():
            if (rotation_id, alias) not in seen and override.end > self.now:
                override_delete(override=override)
                self.report.delete("override", f"{override.rotation.name}: {alias}")

    def maps(self, ref: dict, label: str) -> bool:
        """Tell whether an override's user is (or becomes) a Rota user; failures reported later."""
        try:
            self.person(ref, label)
        except Unmappable:
            return False
        return True

    def ahead(self, value) -> bool:
        """Tell whether an Opsgenie instant is after now (unreadable ones count: reported later)."""
        try:
            return parse_instant(value, "endDate") > self.now
        except Unmappable:
            return True

    def override(self, label, rotation, alias, start, end, user, have, tz) -> None:
        found = have.get((rotation.pk, alias))
        values = {"start": start, "end": end, "user": user}
        text = f"{rotation.name}: {user.email} {_local(start, tz)} - {_local(end, tz)}"
        if found is None:
            done = self.write(
                label,
                lambda: override_create(
                    rotation=rotation, reason=OVERRIDE_REASON + alias, **values
                ),
            )
            if done is not None:
                self.report.create("override", text)
        elif (found.start, found.end, found.user_id) != (start, end, user.pk):
            if self.write(label, lambda: override_update(override=found, **values)):
                self.report.update("override", text)
        else:
            self.report.keep("override")


def _local(instant: datetime.datetime, tz) -> str:
    return f"{instant.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"
