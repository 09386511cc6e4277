"""Who is on call now, cached per process: the answers of :mod:`rota.routing` at this instant.

The answer only changes at a shift or override boundary, or when someone edits the rota or
the catalog. A process keeps each answer until the first boundary among the segments it was
built from, and drops it as soon as the rota or catalog version tag changes (one query; see
``rota_touch`` and ``catalog_touch``). Where nobody is on duty the next start is unknown, so
such answers live a minute at most. The cache is registered with :mod:`core.caches` as
"rota.routing.answers".
"""

import datetime
import itertools
from collections.abc import Callable, Hashable
from dataclasses import replace

from django.db import connection
from django.utils import timezone

from core import caches
from ownership.models import CatalogVersion, Team

from .models import Rotation, RotaVersion
from .routing import (
    Responders,
    responders,
    responders_for_rotation,
    responders_for_rotations,
    responders_for_team,
    responders_for_teams,
)
from .selectors.instant import tracking_validity

MAX_CACHE = datetime.timedelta(minutes=5)
GAP_CACHE = datetime.timedelta(minutes=1)
_CACHE_SIZE = 10_000
# (kind, slug or id) -> (versions, valid until, Responders, stamp)
_answers: dict = {}
_stamps = itertools.count(1)


def versions() -> tuple:
    """The rota and catalog version tags, in one cheap query (this runs on every lookup)."""
    quote = connection.ops.quote_name
    rota_table = quote(RotaVersion._meta.db_table)
    catalog_table = quote(CatalogVersion._meta.db_table)
    # Only the models' own quoted table names are interpolated; the ORM's query compiler would
    # cost more than the query itself here.
    sql = (
        f"SELECT (SELECT tag FROM {rota_table} WHERE id = 1),"  # noqa: S608
        f" (SELECT version FROM {catalog_table} WHERE id = 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def _cached(keys: dict[Hashable, tuple], compute: Callable[[list, datetime.datetime], dict]):
    """Answer each of ``keys`` (answer id → cache key) now: from the cache, or by ``compute``.

    ``compute(ids, at)`` answers the stale ids in one batch ({id: Responders}). Every answer
    computed together holds until the first boundary any of them depends on. Return
    {id: (Responders, stamp)}; the stamp changes whenever an answer is rebuilt.
    """
    now = timezone.now()
    versions_now = versions()
    answers, missing = {}, []
    for answer_id, key in keys.items():
        hit = _answers.get(key)
        if hit is not None and hit[0] == versions_now and now < hit[1]:
            answers[answer_id] = (replace(hit[2], at=now), hit[3])
        else:
            missing.append(answer_id)
    if not missing:
        return answers
    with tracking_validity() as spans:
        computed = compute(missing, now)
    # A None span is a rotation with nobody on duty: when someone starts is unknown.
    gap = any(span is None for span in spans)
    ends = [span[1] for span in spans if span is not None and span[1] is not None]
    valid_until = min([now + (GAP_CACHE if gap else MAX_CACHE), *ends])
    if len(_answers) + len(missing) >= _CACHE_SIZE:
        _answers.clear()
    for answer_id in missing:
        stamp = next(_stamps)
        _answers[keys[answer_id]] = (versions_now, valid_until, computed[answer_id], stamp)
        answers[answer_id] = (computed[answer_id], stamp)
    return answers


def responders_now(*, component=None, team=None, rotation=None) -> Responders:
    """Return responders at this instant for one of component, team or rotation, cached.

    ``component`` and ``team`` are slugs or objects, ``rotation`` an id or object.
    """
    return responders_now_versioned(component=component, team=team, rotation=rotation)[0]


def responders_now_versioned(*, component=None, team=None, rotation=None) -> tuple:
    """Return (responders now, a number that changes whenever the cached answer is rebuilt).

    Callers may cache what they derive from the answer (e.g. its JSON) under that number.
    """
    key, compute = lookup_for(component=component, team=team, rotation=rotation)
    return _cached({key: key}, lambda ids, at: {key: compute(at)})[key]


def lookup_for(*, component=None, team=None, rotation=None) -> tuple:
    """Return (cache key, compute) for one of component, team or rotation.

    ``compute(at)`` answers routing's Responders at instant ``at``; the key names the target
    the same way however it was given (slug or object, id or object).
    """
    if component is not None:
        key = ("component", getattr(component, "slug", component))

        def compute(at):
            return responders(component=key[1], at=at)
    elif team is not None:
        key = ("team", getattr(team, "slug", team))

        def compute(at):
            return responders_for_team(team=Team.objects.get(slug=key[1]), at=at)
    else:
        key = ("rotation", getattr(rotation, "pk", rotation))

        def compute(at):
            return responders_for_rotation(
                rotation=Rotation.objects.select_related("team", "follows_team_rotation").get(
                    pk=key[1]
                ),
                at=at,
            )

    return key, compute


def responders_now_until(*, component=None, team=None, rotation=None) -> tuple:
    """Return (responders now, stamp, the instant until which the answer holds) for one of
    component, team or rotation, as ``responders_now_versioned``; past that instant (an aware
    datetime: the next boundary, or at most ``MAX_CACHE`` away) the answer must be asked again.
    """
    key, compute = lookup_for(component=component, team=team, rotation=rotation)
    result, stamp = _cached({key: key}, lambda ids, at: {key: compute(at)})[key]
    return result, stamp, _answers[key][1]


def responders_now_for_teams(*, teams) -> dict[int, Responders]:
    """Return responders_now(team=...) for many teams, computing the stale ones in one batch."""
    by_id = {team.pk: team for team in teams}

    def compute(ids, at):
        return responders_for_teams(teams=[by_id[pk] for pk in ids], at=at)

    keys = {pk: ("team", team.slug) for pk, team in by_id.items()}
    return {pk: answer for pk, (answer, _) in _cached(keys, compute).items()}


def responders_now_for_rotations(*, rotations) -> dict[int, Responders]:
    """Return responders_now(rotation=...) for many rotations, computing the stale ones in one
    batch. ``rotations`` carry ``follows_team_rotation`` and ``team`` loaded."""
    by_id = {rotation.pk: rotation for rotation in rotations}

    def compute(ids, at):
        return responders_for_rotations(rotations=[by_id[pk] for pk in ids], at=at)

    keys = {pk: ("rotation", pk) for pk in by_id}
    return {pk: answer for pk, (answer, _) in _cached(keys, compute).items()}


caches.register("rota.routing.answers", _answers.clear)
