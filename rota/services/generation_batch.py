"""Generate many rotations at once: one transaction, the reads and writes batched across them.

Generating rotation by rotation costs about eight round trips and a commit each; fifty of
them wait on the database far longer than they work. :func:`rotations_generate` reads what
every rotation needs in one query per kind of row (the rotations locked, their shifts around
now, participants, unavailability, leave covers), plans each rotation with the very code of
:func:`rotation_regenerate` (pure functions over those rows) and writes all the changes
together, so the rules are the same: hand-edited, started and offered shifts are kept, leave
is dealt around and covered, changes are audited, and a second run changes nothing.
"""

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from ..models import Rotation, RotationParticipant, Shift, SwapRequest
from ..slots import SlotClock
from .generation import (
    PRIOR_SHIFTS,
    changes_of,
    changes_write,
    cover_leave,
    leave_covers,
    locked,
    plan_rotation,
    regenerate_linked,
    regenerate_one,
    split_existing,
    until_instant,
)
from .generation_plan import absence_scope, absences_of, absences_read, pools_for
from .public_holidays import public_holidays_refresh_all

logger = logging.getLogger(__name__)


@transaction.atomic
def rotations_generate(*, rotations, until=None, now=None) -> dict[int, int]:
    """Create the missing shifts of ``rotations`` up to ``until``; return {rotation id: created}.

    ``until``: a date (through the end of that day in each rotation's zone), an aware
    datetime, or None for each rotation's horizon from ``now``. The same shifts as
    :func:`rotation_generate` called on each in turn, in one transaction; a leave cover
    goes to someone free in all of them (one call at a time sees only the rotations
    generated before it, so it may give a cover to someone on duty in a later one).
    Rotations that follow a team rotation, and team rotations that others follow, are
    generated with their linked rotations one by one after the others (their plans read
    each other's shifts); the counts then include the linked rotations' shifts under their
    own ids.
    """
    now = now or timezone.now()
    ids = sorted({r.pk for r in rotations})
    followed = Rotation.objects.filter(follows_team_rotation=OuterRef("pk"), active=True)
    rows = (
        Rotation.objects.select_for_update(of=("self",))
        .select_related("sprint_calendar")
        .annotate(followed=Exists(followed))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    created = dict.fromkeys(ids, 0)
    alone, linked = [], []
    for rotation in rows:
        if rotation.follows_team_rotation_id is None and not rotation.followed:
            alone.append(rotation)
        else:
            linked.append(rotation)
    for rotation_id, count in _generate_alone(alone, until, now).items():
        created[rotation_id] += count
    # Team rotations first: the person rotations that follow them read their shifts.
    linked.sort(key=lambda r: (r.follows_team_rotation_id is not None, r.role, r.pk))
    for rotation in linked:
        for result in regenerate_linked(rotation, until_instant(rotation, until, now), now):
            created[result.rotation_id] = created.get(result.rotation_id, 0) + result.created
    return created


def _generate_alone(rotations, until, now) -> dict[int, int]:
    """Generate rotations whose plans read no other rotation's shifts, reads batched."""
    if not rotations:
        return {}
    windows = {}
    for rotation in rotations:
        clock = SlotClock(rotation)
        first = max(clock.index_at(now), 0)
        windows[rotation.pk] = (clock, first, clock.boundary(first))
    around = _shifts_around_many({pk: window[2] for pk, window in windows.items()})
    participants = defaultdict(list)
    for participant in RotationParticipant.objects.filter(rotation_id__in=list(windows)).order_by(
        "rotation_id", "position", "id"
    ):
        participants[participant.rotation_id].append(participant)

    work = []
    for rotation in rotations:
        clock, first, window_start = windows[rotation.pk]
        existing, prior = around.get(rotation.pk, ([], []))
        end = until_instant(rotation, until, now)
        kept, redeal, plan_end = split_existing(existing, end, now)
        if plan_end <= window_start:
            continue
        pools, slot_windows = pools_for(rotation, window_start, plan_end, participants[rotation.pk])
        scope = absence_scope(rotation, pools, window_start, plan_end)
        work.append(
            (rotation, clock, first, plan_end, pools, slot_windows, kept, prior, redeal, scope)
        )

    rows = absences_read(w[-1] for w in work)
    done = []
    for rotation, clock, first, plan_end, pools, slot_windows, kept, prior, redeal, scope in work:
        absences = absences_of(scope, rows)
        planned = plan_rotation(
            rotation, clock, first, plan_end, pools, slot_windows, kept, prior, absences
        )
        done.append((rotation, absences, changes_of(rotation, planned, redeal)))
    changes_write([changes for _, _, changes in done])

    changed = [s for _, _, changes in done for s in changes.changed]
    covers = []
    if changed:
        covers = leave_covers(
            {s.rotation_id for s in changed},
            min(s.start for s in changed),
            max(s.end for s in changed),
        )
    for rotation, absences, changes in done:
        cover_leave(rotation, changes.changed, now, absences, covers)
    return {rotation.pk: changes.counts()[0] for rotation, _, changes in done}


def _shifts_around_many(window_starts: dict) -> dict:
    """For each rotation id in ``window_starts`` ({id: window start}), return (its shifts
    ending after the window start, by start; its ``PRIOR_SHIFTS`` newest starting before it,
    newest first), as :func:`generation._shifts_around` does for one, in one query.

    Each rotation's window start is a CASE over the ids; the earlier shifts are numbered
    newest first within (rotation, earlier or not), and the query keeps the later ones and
    the first ``PRIOR_SHIFTS`` earlier ones.
    """
    window_start = Case(
        *[When(rotation_id=pk, then=Value(start)) for pk, start in window_starts.items()],
        output_field=DateTimeField(),
    )
    offered = Exists(
        SwapRequest.objects.filter(shift=OuterRef("pk"), status__in=SwapRequest.OPEN_STATUSES)
    )
    rows = (
        Shift.objects.filter(rotation_id__in=list(window_starts))
        .alias(window_start=window_start)
        .annotate(
            earlier=Case(
                When(start__lt=F("window_start"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            later=Case(
                When(end__gt=F("window_start"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            newest=Window(
                RowNumber(),
                partition_by=[F("rotation_id"), F("earlier")],
                order_by=F("start").desc(),
            ),
            offered=offered,
        )
        .filter(Q(later=True) | Q(earlier=True, newest__lte=PRIOR_SHIFTS))
        .order_by("rotation_id", "start")
    )
    around = defaultdict(lambda: ([], []))
    for shift in rows:
        existing, prior = around[shift.rotation_id]
        start = window_starts[shift.rotation_id]
        if shift.end > start:
            existing.append(shift)
        if shift.start < start:
            prior.append(shift)
    for _, prior in around.values():
        prior.reverse()  # newest first
        del prior[PRIOR_SHIFTS:]
    return dict(around)


def rotations_extend_all(*, now=None) -> int:
    """Extend every active rotation to its horizon (the nightly job); return shifts created.

    Teams' public holidays from the ``holidays`` package are refreshed first, so the window
    moves into each new year before shifts are dealt over it. The rotations that neither
    follow a team rotation nor are followed are extended together
    (:func:`rotations_generate`; if that fails, one by one, so a rotation that cannot be
    extended does not hold the others back); the linked ones one by one after them.
    """
    now = now or timezone.now()
    try:
        public_holidays_refresh_all(today=now.date())
    except Exception:
        logger.exception("Could not refresh the teams' public holidays")
    rotations = list(Rotation.objects.filter(active=True).select_related("sprint_calendar"))
    followed = {r.follows_team_rotation_id for r in rotations}
    alone = [r for r in rotations if r.follows_team_rotation_id is None and r.pk not in followed]
    created, one_by_one = 0, [r for r in rotations if r not in alone]
    try:
        created += sum(rotations_generate(rotations=alone, now=now).values())
    except Exception:
        logger.exception("Could not extend the rotations together; extending one by one")
        one_by_one = rotations
    # Team rotations first: the person rotations that follow them read their shifts.
    # Primaries before secondaries: a following secondary is dealt around the primary's people.
    one_by_one.sort(
        key=lambda r: (
            r.follows_team_rotation_id is not None,
            r.kind != "team",
            r.role != Rotation.Role.PRIMARY,
            r.pk,
        )
    )
    for rotation in one_by_one:
        try:
            with transaction.atomic():
                rotation = locked(rotation)
                created += regenerate_one(rotation, until_instant(rotation, None, now), now).created
        except Exception:
            logger.exception("Could not extend rotation %s", rotation.pk)
    return created
