"""Import the rota YAML document: create or update what it names, through Rota's services.

Sections are taken in dependency order (people, teams, components, sprint calendars,
rotations, support policies with their escalation delays, the default delays, routing
settings, integrations); every object is written by the same service the admin and the API use,
so the file cannot create what they would refuse. Every problem is recorded under its YAML
path and, when there is any, the whole import is rolled back (see ``run``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from ownership.models import Component, Membership, Team
from ownership.services import component_create, component_update, team_create, team_update
from rota.models import Rotation, SprintCalendar
from rota.services import (
    rotation_create,
    rotation_update,
    sprint_calendar_create,
    sprint_calendar_update,
)

from .load_paging import PagingSections
from .reader import (
    FAILED,
    MISSING,
    Reader,
    canonical_patterns,
    changed_fields,
    deal_from_start,
    keymap_of,
    parents_first,
)
from .schema import (
    CALENDAR_KEYS,
    COMPONENT_EXTRA,
    COMPONENT_KEYS,
    PERSON_KEYS,
    ROTATION_EXTRA,
    ROTATION_KEYS,
    SECRET_FIELDS,
    TEAM_EXTRA,
    TEAM_KEYS,
)

REFS = {
    ("component", "parent"): "component",
    ("component", "owner_team"): "team",
    ("rotation", "sprint_calendar"): "sprint calendar",
    ("rotation", "team"): "team",
    ("rotation", "follows_team_rotation"): "rotation",
    ("policy", "team_rotation"): "rotation",
    ("policy", "dedicated_team"): "team",
    ("policy", "first_line_rotation"): "rotation",
    ("routing", "fallback_rotation"): "rotation",
    ("routing", "fallback_team"): "team",
    ("integration", "component"): "component",
}


def _raw(entry: dict, key: str, path: str, reader: Reader):
    """Return the YAML value at ``key`` (``a.b`` reads inside the mapping ``a``)."""
    if "." not in key:
        return entry.get(key, MISSING)
    outer, inner = key.split(".")
    holder = entry.get(outer) or {}
    if not isinstance(holder, dict):
        return MISSING  # reported once by the caller's check of ``outer``
    return holder.get(inner, MISSING)


class Loader(PagingSections, Reader):
    """One import run over a parsed document."""

    def __init__(self, doc: dict, report, *, prune: bool, new_urls: list | None, progress):
        super().__init__(report)
        self.doc = doc
        self.prune = prune
        self.new_urls = new_urls
        self.progress = progress
        self.done = 0
        self.total = sum(
            len(doc.get(s) or []) if isinstance(doc.get(s), list) else 0
            for s in (
                "people",
                "teams",
                "components",
                "sprint_calendars",
                "rotations",
                "support_policies",
                "integrations",
            )
        )
        self.named: dict[str, set] = {}

    def step(self) -> None:
        self.done += 1
        self.progress(self.done, self.total)

    def fields(self, kind: str, model, keys, entry: dict, path: str, obj=None) -> dict | None:
        """Read the plain keys of one entry into model values; None when any is unreadable."""
        data, ok = {}, True
        for key, field in keys:
            raw = _raw(entry, key, path, self)
            where = f"{path}.{key}"
            if (kind, field) in REFS:
                value = self.ref(REFS[(kind, field)], raw, where)
            elif (kind, field) in SECRET_FIELDS:
                value = self.secret(raw, where, getattr(obj, field) if obj else None)
            else:
                value = self.value(model, field, raw, where)
            if value is FAILED:
                ok = False
            data[field] = value
        return data if ok else None

    def upsert(self, kind, label, path, obj, data, keymap, *, create, update, extra=None):
        """Create ``obj`` (None) or update the changed fields; return the object or FAILED.

        ``extra`` is a dict of service keyword arguments holding lists (members, paths...),
        each None when unchanged.
        """
        extra = extra or {}
        if obj is None:
            result = self.write(path, keymap, create, **data, **extra)
            if result is not FAILED:
                self.report.create(kind, label)
            return result
        changes = changed_fields(obj, data)
        lists = {name: value for name, value in extra.items() if value is not None}
        if not changes and not lists:
            self.report.keep(kind)
            return obj
        result = self.write(path, keymap, update, **changes, **lists)
        if result is not FAILED:
            what = ", ".join(sorted([*(keymap.get(f, f) for f in changes), *lists]))
            self.report.update(kind, f"{label} ({what})")
        return result

    # --- sections -------------------------------------------------------------------------

    def people(self) -> None:
        User = get_user_model()
        for path, entry in self.entries(self.doc, "people"):
            self.step()
            self.check_keys(path, entry, PERSON_KEYS)
            username = self.required(path, entry, "username")
            if username is FAILED:
                continue
            email = entry.get("email") or ""
            user = User.objects.filter(username=username).first()
            if user is None and email:
                user = User.objects.filter(email__iexact=email).first()
            if user is not None:
                self.report.keep("person")  # accounts are matched, never edited
                continue
            user = User(username=username, email=email)
            user.first_name = entry.get("first_name") or ""
            user.last_name = entry.get("last_name") or ""
            user.set_unusable_password()

            def create(user=user):
                user.full_clean()
                user.save()
                return user

            if self.write(path, {}, create) is FAILED:
                self.failed["person"].add(username)
            else:
                self.report.create(
                    "person", f"{username} <{email}> (new account without a password)"
                )

    def teams(self) -> None:
        keymap = keymap_of(TEAM_KEYS, TEAM_EXTRA)
        for path, entry in self.entries(self.doc, "teams"):
            self.step()
            self.check_keys(path, entry, keymap.values())
            slug = self.required(path, entry, "slug")
            if slug is FAILED:
                continue
            self.named.setdefault("teams", set()).add(slug)
            team = Team.objects.filter(slug=slug).first()
            data = self.fields("team", Team, TEAM_KEYS, entry, path, team)
            members = self.members(path, entry)
            if data is None or members is None:
                self.failed["team"].add(slug)
                continue
            if team is not None:
                have = {(m.user_id, m.role) for m in team.memberships.all()}
                if have == {(u.pk, r) for u, r in members}:
                    members = None
            result = self.upsert(
                "team", slug, path, team, data, keymap,
                create=team_create,
                update=lambda team=team, **kw: team_update(team=team, **kw),
                extra={"members": members},
            )  # fmt: skip
            if result is FAILED:
                self.failed["team"].add(slug)

    def members(self, path: str, entry: dict) -> list | None:
        items = entry.get("members") or []
        if not isinstance(items, list):
            self.report.problem(f"{path}.members", "expected a list")
            return None
        out, ok = [], True
        for index, item in enumerate(items):
            where = f"{path}.members[{index}]"
            if not isinstance(item, dict):
                self.report.problem(where, "expected {person: ..., role: ...}")
                ok = False
                continue
            self.check_keys(where, item, ("person", "role"))
            user = self.ref("person", item.get("person"), f"{where}.person")
            role = item.get("role") or Membership.Role.ENGINEER
            if role not in Membership.Role.values:
                known = ", ".join(Membership.Role.values)
                self.report.problem(f"{where}.role", f'unknown role "{role}" (one of {known})')
                ok = False
            if user is None:
                self.report.problem(f"{where}.person", "required")
            if user is None or user is FAILED:
                ok = False
                continue
            out.append((user, role))
        return out if ok else None

    def components(self) -> None:
        keymap = keymap_of(COMPONENT_KEYS, COMPONENT_EXTRA)
        entries = self.entries(self.doc, "components")
        by_slug = {}
        for path, entry in entries:
            self.check_keys(path, entry, keymap.values())
            slug = self.required(path, entry, "slug")
            if slug is not FAILED:
                by_slug[slug] = (path, entry)
        self.named["components"] = set(by_slug)
        for slug in parents_first(by_slug, "parent", self):
            path, entry = by_slug[slug]
            self.step()
            component = Component.objects.filter(slug=slug).first()
            data = self.fields("component", Component, COMPONENT_KEYS, entry, path)
            paths = entry.get("paths") or []
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                self.report.problem(f"{path}.paths", "expected a list of path globs")
                data = None
            if data is None:
                self.failed["component"].add(slug)
                continue
            if component is not None and canonical_patterns(paths) == set(
                component.paths.values_list("pattern", flat=True)
            ):
                paths = None
            result = self.upsert(
                "component", slug, path, component, data, keymap,
                create=component_create,
                update=lambda component=component, **kw: component_update(
                    component=component, note="rota YAML import", **kw
                ),
                extra={"paths": paths},
            )  # fmt: skip
            if result is FAILED:
                self.failed["component"].add(slug)

    def calendars(self) -> None:
        keymap = keymap_of(CALENDAR_KEYS)
        for path, entry in self.entries(self.doc, "sprint_calendars"):
            self.step()
            self.check_keys(path, entry, keymap.values())
            name = self.required(path, entry, "name")
            if name is FAILED:
                continue
            self.named.setdefault("sprint_calendars", set()).add(name)
            calendar = SprintCalendar.objects.filter(name=name).first()
            data = self.fields("calendar", SprintCalendar, CALENDAR_KEYS, entry, path)
            result = FAILED
            if data is not None:
                result = self.upsert(
                    "sprint calendar", name, path, calendar, data, keymap,
                    create=sprint_calendar_create,
                    update=lambda calendar=calendar, **kw: sprint_calendar_update(
                        calendar=calendar, **kw
                    ),
                )  # fmt: skip
            if result is FAILED:
                self.failed["sprint calendar"].add(name)

    def rotations(self) -> None:
        keymap = keymap_of(ROTATION_KEYS, ROTATION_EXTRA)
        allowed = {k.split(".")[0] for k in keymap.values()}
        by_name = {}
        for path, entry in self.entries(self.doc, "rotations"):
            self.check_keys(path, entry, allowed)
            if "shift_length" in entry and not isinstance(entry["shift_length"], dict):
                self.report.problem(f"{path}.shift_length", "expected {unit: ..., count: N}")
            elif isinstance(entry.get("shift_length"), dict):
                self.check_keys(f"{path}.shift_length", entry["shift_length"], ("unit", "count"))
            name = self.required(path, entry, "name")
            if name is FAILED:
                continue
            if name in by_name:
                self.report.problem(f"{path}.name", f'"{name}" is named twice in the file')
                continue
            by_name[name] = (path, entry)
        self.named["rotations"] = set(by_name)
        created = []
        for name in parents_first(by_name, "follows", self):
            path, entry = by_name[name]
            self.step()
            found = list(Rotation.objects.filter(name=name)[:2])
            if len(found) > 1:
                self.report.problem(f"{path}.name", f'two rotations are called "{name}"')
                continue
            rotation = found[0] if found else None
            data = self.fields("rotation", Rotation, ROTATION_KEYS, entry, path)
            kind = (data or {}).get("kind") or Rotation.Kind.PERSON
            participants = self.participants(path, entry, kind)
            if data is None or participants is None:
                self.failed["rotation"].add(name)
                continue
            if rotation is not None:
                have = [
                    (p.team_id, p.user_id) for p in rotation.participants.order_by("position", "id")
                ]
                wanted = [
                    (p.pk, None) if isinstance(p, Team) else (None, p.pk) for p in participants
                ]
                if have == wanted:
                    participants = None
            result = self.upsert(
                "rotation", name, path, rotation, data, keymap,
                create=rotation_create,
                update=lambda rotation=rotation, **kw: rotation_update(rotation=rotation, **kw),
                extra={"participants": participants},
            )  # fmt: skip
            if result is FAILED:
                self.failed["rotation"].add(name)
            elif rotation is None:
                created.append(result)
        # Shifts of new rotations, once all exist (a team rotation deals its followers too).
        if created:
            self.write("rotations", {}, deal_from_start, rotations=created)

    def participants(self, path: str, entry: dict, kind: str) -> list | None:
        items = entry.get("participants") or []
        if not isinstance(items, list):
            self.report.problem(f"{path}.participants", "expected a list")
            return None
        out, ok = [], True
        what = "team" if kind == Rotation.Kind.TEAM else "person"
        for index, item in enumerate(items):
            found = self.ref(what, item, f"{path}.participants[{index}]")
            if found is None or found is FAILED:
                if found is None:
                    self.report.problem(f"{path}.participants[{index}]", f"expected a {what}")
                ok = False
                continue
            out.append(found)
        return out if ok else None

    def load(self) -> None:
        self.people()
        self.teams()
        self.components()
        self.calendars()
        self.rotations()
        self.policies()
        self.escalation_default()
        self.routing()
        self.integrations()
        if self.prune and not self.report.problems:
            from .prune import prune

            prune(self)


__all__ = ["Loader"]
