"""Reading one section entry of the rota YAML: values, references, secrets, and errors by path.

``Reader`` turns YAML values into model values through the models' own fields (so a bad time
or number is refused as the admin refuses it) and records every problem under the YAML path
of the value at fault, e.g. ``rotations[2].participants[0]``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from core.timeutil import zone
from importers.base import ImportReport
from ownership.models import Component, Team
from ownership.paths import GlobError, canonical_pattern
from rota.models import Override, Rotation, Shift, SprintCalendar
from rota.services import rotation_generate
from rota.weekly import parse_windows_text

from .schema import SECRET_PREFIX

FAILED = object()  # a value that could not be read; its problem is already recorded
MISSING = object()  # a key the entry does not have: the field's default

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Reader:
    """Shared state of one import: the report, and which named objects failed."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.failed: dict[str, set] = defaultdict(set)

    # --- structure ------------------------------------------------------------------------

    def entries(self, doc: dict, section: str) -> list[tuple[str, dict]]:
        """Return ``(path, entry)`` for each mapping in the list ``doc[section]``."""
        items = doc.get(section) or []
        if not isinstance(items, list):
            self.report.problem(section, "expected a list")
            return []
        out = []
        for index, entry in enumerate(items):
            path = f"{section}[{index}]"
            if isinstance(entry, dict):
                out.append((path, entry))
            else:
                self.report.problem(path, "expected a mapping of keys to values")
        return out

    def check_keys(self, path: str, entry: dict, allowed) -> None:
        for key in entry:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.report.problem(f"{path}.{key}", f"unknown key (known keys: {known})")

    def required(self, path: str, entry: dict, key: str):
        value = entry.get(key)
        if value in (None, "") or not isinstance(value, str | int):
            self.report.problem(f"{path}.{key}", "required")
            return FAILED
        return str(value)

    # --- values ---------------------------------------------------------------------------

    def value(self, model, field_name: str, raw, path: str):
        """Return ``raw`` as the model field's Python value (an absent key: the default)."""
        field = model._meta.get_field(field_name)
        if raw is MISSING:
            return field.get_default()
        if raw is None:
            return (
                ""
                if isinstance(field, models.CharField | models.TextField)
                else (field.get_default())
            )
        if field_name == "restriction_windows":
            return self.windows(raw, path)
        if isinstance(field, models.TimeField) and isinstance(raw, int):
            self.report.problem(path, "write times in quotes, e.g. '09:00'")
            return FAILED
        if isinstance(raw, list | dict):
            self.report.problem(path, "expected a single value")
            return FAILED
        try:
            return field.to_python(raw)
        except ValidationError as exc:
            if isinstance(field, models.TimeField):  # as the windows say it
                self.report.problem(path, f'"{raw}" is not a time HH:MM')
            else:
                self.report.problem(path, " ".join(exc.messages))
            return FAILED

    def windows(self, raw, path: str):
        """Return weekly windows written one a string, ``Mon 09:00 - Fri 17:00``."""
        if not isinstance(raw, list) or not all(isinstance(line, str) for line in raw):
            self.report.problem(path, 'expected a list of windows like "Mon 09:00 - Fri 17:00"')
            return FAILED
        windows, ok = [], True
        for i, line in enumerate(raw):
            try:
                windows += parse_windows_text(line)
            except ValidationError as exc:
                self.report.problem(f"{path}[{i}]", " ".join(exc.messages).split(": ", 1)[-1])
                ok = False
        return windows if ok else FAILED

    def secret(self, raw, path: str, current: str | None):
        """Return the secret named by ``env:NAME`` (from the environment), or "" for none.

        Without the variable, an existing object keeps its ``current`` secret; a new one cannot.
        """
        if raw is MISSING or raw in (None, ""):
            return ""
        if not isinstance(raw, str) or not raw.startswith(SECRET_PREFIX):
            self.report.problem(
                path,
                "secrets are not written in the file: write env:NAME and give the secret in "
                "the environment variable NAME",
            )
            return FAILED
        name = raw[len(SECRET_PREFIX) :]
        if not _ENV_NAME.match(name):
            self.report.problem(path, f"{name!r} is not an environment variable name")
            return FAILED
        value = os.environ.get(name)
        if value is not None:
            return value
        if current:
            return current
        self.report.problem(path, f"the environment variable {name} (the secret) is not set")
        return FAILED

    # --- references -----------------------------------------------------------------------

    def _missing(self, kind: str, name: str, path: str):
        if name in self.failed[kind]:
            self.report.problem(path, f'{kind} "{name}" was not imported (see its error)')
        else:
            self.report.problem(path, f'no {kind} "{name}"')
        return FAILED

    def ref(self, kind: str, raw, path: str):
        """Return the team, component, sprint calendar, rotation or person named by ``raw``."""
        if raw is MISSING or raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            self.report.problem(path, f"expected the name of a {kind}")
            return FAILED
        if kind == "person":
            return self.person(raw, path)
        lookup = {
            "team": (Team, "slug"),
            "component": (Component, "slug"),
            "sprint calendar": (SprintCalendar, "name"),
            "rotation": (Rotation, "name"),
        }
        model, key = lookup[kind]
        found = list(model.objects.filter(**{key: raw})[:2])
        if len(found) > 1:
            self.report.problem(path, f'two {kind}s are called "{raw}"; rename one first')
            return FAILED
        return found[0] if found else self._missing(kind, raw, path)

    def person(self, raw: str, path: str):
        """Return the user whose username, else (case-insensitively) e-mail, is ``raw``."""
        User = get_user_model()
        user = User.objects.filter(username=raw).first()
        if user is None and "@" in raw:
            found = list(User.objects.filter(email__iexact=raw)[:2])
            if len(found) > 1:
                self.report.problem(path, f'two people have the e-mail "{raw}"; use a username')
                return FAILED
            user = found[0] if found else None
        return user if user is not None else self._missing("person", raw, path)

    # --- writing --------------------------------------------------------------------------

    def write(self, path: str, keymap: dict, fn, **kwargs):
        """Call a service in a savepoint; return its result, or FAILED with errors by path.

        ``keymap`` maps model field names to YAML keys for the service's ValidationErrors.
        """
        try:
            with transaction.atomic():
                return fn(**kwargs)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, messages in exc.message_dict.items():
                    where = path if field == "__all__" else f"{path}.{keymap.get(field, field)}"
                    for message in messages:
                        self.report.problem(where, message)
            else:
                for message in exc.messages:
                    self.report.problem(path, message)
        except (PermissionDenied, IntegrityError, ProtectedError) as exc:
            self.report.problem(path, str(exc.args[0] if exc.args else exc))
        return FAILED


def changed_fields(obj, data: dict) -> dict:
    """Return the items of ``data`` whose value differs from ``obj``'s (rows compared by id)."""
    out = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if field.is_relation:
            current = getattr(obj, field.attname)
            wanted = value.pk if value is not None else None
        else:
            current, wanted = getattr(obj, name), value
        if current != wanted:
            out[name] = value
    return out


def deal_from_start(*, rotations: list[Rotation], now=None) -> int:
    """Deal new rotations' shifts as if they had run since their start dates; keep the coming ones.

    Turns count from ``start_date`` (as the demo and a rotation created before its start have
    them), so the people on call are those the configuration gives, not whoever happened to be
    first on the day of the import. A rotation tied (by ``follows``) to one that already had
    shifts is dealt from ``now`` instead, so no existing shift is dealt again. Shifts and covers
    over before ``now`` are not kept: the import brings configuration, not history. Return the
    number of shifts kept.
    """
    now = now or timezone.now()
    new = {rotation.pk for rotation in rotations}
    for rotation in rotations:
        if not rotation.active:  # as the nightly job, which extends only active ones
            continue
        tied = {rotation.follows_team_rotation_id} - {None}
        tied |= set(rotation.following_rotations.values_list("pk", flat=True))
        began = datetime.datetime.combine(
            rotation.start_date, datetime.time(0), zone(rotation.timezone)
        )
        until = now + datetime.timedelta(weeks=rotation.horizon_weeks)
        rotation_generate(
            rotation=rotation, until=until, now=min(began, now) if tied <= new else now
        )
    Shift.objects.filter(rotation__in=new, end__lte=now).delete()
    Override.objects.filter(rotation__in=new, end__lte=now).delete()
    return Shift.objects.filter(rotation__in=new).count()


def canonical_patterns(patterns) -> set:
    out = set()
    for pattern in patterns:
        with contextlib.suppress(GlobError):
            pattern = canonical_pattern(pattern)
        out.add(pattern)
    return out


def parents_first(by_name: dict, key: str, reader: Reader) -> list:
    """Order names so that one named by another's ``key`` (parent, follows) comes first."""
    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            path = by_name[name][0]
            reader.report.problem(f"{path}.{key}", f"goes round in a circle: {' -> '.join(chain)}")
            return
        state[name] = "visiting"
        target = by_name[name][1].get(key)
        if isinstance(target, str) and target in by_name:
            visit(target, [*chain, target])
        state[name] = "done"
        order.append(name)

    for name in by_name:
        visit(name, [name])
    return order


def keymap_of(keys, extra=()) -> dict:
    """Map model field names to YAML keys (``shift_length_count`` -> ``shift_length.count``)."""
    out = {field: key for key, field in keys}
    out.update({name: name for name in extra})
    return out
