"""Writes every app shares: setting a row's editable fields, bumping a cache version tag."""

import uuid

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from core import caches


def _stored(instance: models.Model, name: str, value):
    """Return (what ``instance`` holds for ``name``, what ``value`` would store) comparably.

    A foreign key compares ids (``team`` or ``team_id`` alike), so no related row is loaded.
    """
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:  # a property or a plain attribute: compare the values themselves
        field = None
    if field is not None and field.is_relation and field.concrete:
        new = value.pk if isinstance(value, models.Model) else value
        return getattr(instance, field.attname), new
    return getattr(instance, name), value


def apply_fields(instance: models.Model, allowed, data: dict) -> list[str]:
    """Set ``data`` (field name → value) on ``instance``; return the names whose value changed.

    Every name must be in ``allowed``: any other raises TypeError naming them all (a service
    called with a field it does not edit is a programming error, not bad input). Nothing is
    cleaned or saved. A foreign key counts as changed when the id differs.
    """
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    changed = []
    for name, value in data.items():
        old, new = _stored(instance, name, value)
        if old != new:
            changed.append(name)
        setattr(instance, name, value)
    return changed


def model_update(*, instance: models.Model, fields, data: dict) -> tuple[models.Model, bool]:
    """Apply ``data`` to the allowed ``fields`` of a saved row; save it only if it changed.

    Returns ``(instance, changed)``. A change runs ``full_clean()`` (Django's ValidationError,
    a message per field, for a bad value) and saves only the changed columns plus the
    ``auto_now`` ones. A name outside ``fields`` raises TypeError, as for :func:`apply_fields`.
    Changes are found by comparing with ``instance``: pass the row as stored, not one a form
    already changed (a ModelAdmin's ``obj``), or the edit is taken for no change.
    """
    changed = apply_fields(instance, fields, data)
    if not changed:
        return instance, False
    instance.full_clean()
    touched = {f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)}
    instance.save(update_fields=sorted(set(changed) | touched))
    return instance, True


def version_touch(model: type[models.Model], *, field: str) -> str:
    """Replace the version tag in ``field`` of ``model``'s single row (id 1); return the tag.

    Process caches (see :mod:`core.caches`) keep answers keyed by the tag they were built
    for and compare it with one primary-key read, so a change seen by one process is seen by
    all. A random tag rather than a counter: a rolled-back change cannot leave a cache keyed
    by a value a later, different change would produce again. Call it in the transaction of
    the change. A model with a ``changed_at`` field gets it set to now (UTC) as well.

    The process's own caches that check tags only now and then hear of it at once
    (``core.caches.local_change``). (A thread that reads the tags before this transaction
    commits keeps the old ones until its next periodic check: the bound other processes have.)
    """
    tag = uuid.uuid4().hex
    values = {field: tag}
    if any(f.name == "changed_at" for f in model._meta.fields):
        values["changed_at"] = timezone.now()
    if not model.objects.filter(pk=1).update(**values):
        model.objects.update_or_create(pk=1, defaults=values)
    caches.local_change()
    return tag
