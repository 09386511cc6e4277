"""The overrides of a PagerDuty schedule (mixed into ``pagerduty.ScheduleImport``).

A schedule's overrides go on one rotation of their own, "<schedule> — overrides", without
turns and layered above every layer. Imported overrides keep ``PagerDuty override <id>`` as
their reason; one no longer in the file is deleted when the file holds that schedule's
overrides, and overrides already over are history, not configuration.
"""

from __future__ import annotations

import datetime

from rota.models import Override, Rotation
from rota.services import override_create, override_delete, override_update

from .pagerduty_read import Unmappable, parse_instant, source_mark

OVERRIDE_REASON = "PagerDuty override "


class OverrideSection:
    """Uses the importer's ``bundle``, ``report``, ``now``, ``person``, ``upsert``, ``write``."""

    def overrides(self, schedule, number, team, role, tz, *, beneath=True) -> Rotation | None:
        """Import a schedule's overrides; return their rotation (None when it has none).

        ``beneath`` tells whether a layer of the schedule was imported: without one, and
        without an override still to come that maps to a Rota user, no overrides rotation is
        made (it would hold nobody).
        """
        schedule_name = schedule.get("name") or schedule["id"]
        where = f'schedule "{schedule_name}" overrides'
        items = self.bundle.overrides.get(schedule["id"])
        mark = source_mark(schedule["id"], "overrides")
        rotation = Rotation.objects.filter(description__contains=mark).first()
        if items is None:
            return rotation  # no overrides given: leave any imported before alone
        wanted, seen = [], set()  # (item, start, end, user) still to come; ids in the file
        for item in sorted(items, key=lambda o: (str(o.get("start")), o["id"])):
            seen.add(item["id"])  # a failed one keeps an earlier import of it, not deleted
            try:
                start = parse_instant(item.get("start"), "start")
                end = parse_instant(item.get("end"), "end")
                if end <= start:
                    raise Unmappable("ends before it starts")
                user = self.person(item.get("user") or {})
            except Unmappable as exc:
                self.report.problem(f'{where} "{item["id"]}"', str(exc))
                continue
            if end > self.now:  # those over are history, not configuration
                wanted.append((item, start, end, user))
        if rotation is None and not (wanted and beneath):
            if wanted:
                self.report.problem(
                    where, "no layer of the schedule was imported, so neither are its overrides"
                )
            return None
        data = {
            "name": f"{schedule_name} — overrides"[:150],
            "description": f"Imported from {mark}: PagerDuty's overrides, above every layer",
            "kind": Rotation.Kind.PERSON,
            "timezone": tz.key,
            "team": team,
            "role": role,
            "layer": number,
            "shift_length_unit": Rotation.Unit.WEEKS,
            "shift_length_count": 1,
            "handoff_time": datetime.time(0, 0),
            "start_date": rotation.start_date if rotation else self.now.astimezone(tz).date(),
            "restriction": Rotation.Restriction.NONE,
            "restriction_windows": [],
            "active": True,
        }
        rotation = self.upsert(where, rotation, data, None if rotation else [], None)
        if rotation is None:
            return None
        have = {
            o.reason[len(OVERRIDE_REASON) :]: o
            for o in Override.objects.filter(
                rotation=rotation, reason__startswith=OVERRIDE_REASON
            ).select_related("user")
        }
        for item, start, end, user in wanted:
            label = f'{where} "{item["id"]}"'
            found = have.get(item["id"])
            values = {"start": start, "end": end, "user": user}
            text = f"{user.username} {start.astimezone(tz):%Y-%m-%d %H:%M}"
            if found is None:
                done = self.write(
                    label,
                    lambda values=values, item=item: override_create(
                        rotation=rotation, reason=OVERRIDE_REASON + item["id"], **values
                    ),
                )
                if done is not None:
                    self.report.create("override", f"{rotation.name}: {text}")
            elif (found.start, found.end, found.user_id) != (start, end, user.pk):
                if self.write(label, lambda f=found, v=values: override_update(override=f, **v)):
                    self.report.update("override", f"{rotation.name}: {text}")
            else:
                self.report.keep("override")
        for source_id, override in have.items():
            if source_id not in seen and override.end > self.now:
                override_delete(override=override)
                self.report.delete("override", f"{rotation.name}: {source_id}")
        return rotation
