"""Who responds at any instant, cached per process by the span in which the answer holds.

An answer of :mod:`rota.routing` rests on the segments of the final schedule in force at its
instant (and, for a component looked up in the past, on its dated owner). Each of those holds
over a span: the answer is the same at every instant inside all of them, so it is kept with
that span ``[valid from, valid until)`` and any later lookup at an instant inside it is
answered from memory, its ``at`` set to the instant asked. Like the "now" cache
(:mod:`rota.routing_cache`), every lookup first reads the rota and catalog version tags (one
query) and answers kept under other versions are dropped, so an edit is seen at once.

An answer with a rotation where nobody is on duty and no restriction window says until when
(no shift at all there) is not kept: where that gap starts and ends is not known without
reading more rows. Registered with :mod:`core.caches` as "rota.routing.at_answers".
"""

import datetime
import itertools
from dataclasses import replace

from core import caches

from .routing import Responders
from .routing_cache import lookup_for, versions
from .selectors.instant import tracking_validity

# Per target: the spans kept, newest last; the oldest goes first beyond this many.
SPANS_PER_TARGET = 256
_CACHE_SIZE = 20_000
# (kind, slug or id) -> (versions, [(valid from, valid until, Responders, stamp)])
_answers: dict = {}
_stamps = itertools.count(1)
_EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)
_LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def valid_span(spans: list) -> tuple | None:
    """Return the span in which every one of ``spans`` holds, or None when one is unknown.

    ``spans`` are what :func:`rota.selectors.instant.tracking_validity` collected: (start,
    end) pairs, either end None for unbounded, or None where the extent is not known.
    """
    if any(span is None for span in spans):
        return None
    start = max([_EARLIEST, *(s for s, _ in spans if s is not None)])
    end = min([_LATEST, *(e for _, e in spans if e is not None)])
    return start, end


def responders_at(*, at, component=None, team=None, rotation=None) -> Responders:
    """Return routing's responders at instant ``at`` for one target, from the cache if held.

    ``component`` and ``team`` are slugs or objects, ``rotation`` an id or object; ``at`` an
    aware instant. Raise the model's DoesNotExist for an unknown target.
    """
    return responders_at_versioned(at=at, component=component, team=team, rotation=rotation)[0]


def responders_at_versioned(*, at, component=None, team=None, rotation=None) -> tuple:
    """Return (responders at ``at``, stamp): the stamp names the cached answer (so callers may
    cache what they derive from it), or is None when the answer was not kept."""
    key, compute = lookup_for(component=component, team=team, rotation=rotation)
    current = versions()
    held = _answers.get(key)
    if held is not None and held[0] == current:
        for start, end, answer, stamp in reversed(held[1]):
            if start <= at < end:
                return replace(answer, at=at), stamp
    with tracking_validity() as spans:
        answer = compute(at)
    span = valid_span(spans)
    if span is None or not span[0] <= at < span[1]:
        return answer, None
    if held is None or held[0] != current:
        if len(_answers) >= _CACHE_SIZE:
            _answers.clear()
        held = _answers[key] = (current, [])
    kept = held[1]
    if len(kept) >= SPANS_PER_TARGET:
        del kept[0]
    stamp = next(_stamps)
    kept.append((span[0], span[1], answer, stamp))
    return replace(answer), stamp  # the caller's own copy, as hits give


caches.register("rota.routing.at_answers", _answers.clear)
