"""The shifts in force at an instant, found by index whatever the size of the shift table."""

from django.db.models import OuterRef, Subquery

from ..models import Rotation, Shift


def shifts_in_force(*, at, rotations=None):
    """Return a queryset of the shifts in force at ``at``: at most one per rotation.

    ``rotations`` is an iterable of rotation ids or a queryset of rotations; None means all.
    A rotation's shifts do not overlap (migration 0002's constraint on PostgreSQL, the
    services' check everywhere), so the one in force is the last to start by ``at``, if it
    has not ended: one step down the (rotation, start) index per rotation, where
    "start <= at and end > at" reads every past shift (110 ms over 200,000 shifts).
    One query when evaluated; usable as a subquery.
    """
    last_started = (
        Shift.objects.filter(rotation_id=OuterRef("pk"), start__lte=at)
        .order_by("-start")
        .values("pk")[:1]
    )
    scope = (
        Rotation.objects.all() if rotations is None else Rotation.objects.filter(pk__in=rotations)
    )
    latest = scope.values(latest=Subquery(last_started))
    return Shift.objects.filter(pk__in=latest, end__gt=at)
