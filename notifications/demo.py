"""Demo data that lets a newcomer watch a reminder arrive a minute after `make run`."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ownership.models import Team
from rota import services as rota_services
from rota.models import Rotation, Shift

from .models import Delivery
from .recipients import recipient_for

DEMO_USERNAME = "alice.martin"
DEMO_TEAM = "payments"
DEMO_ROTATION = "Payments reminder demo"
STARTS_IN = datetime.timedelta(minutes=5)
LASTS = datetime.timedelta(hours=8)


@transaction.atomic
def seed_reminder_demo(*, now=None, starts_in=STARTS_IN, username=DEMO_USERNAME, log=None) -> Shift:
    """Give the demo engineer a shift that starts a few minutes from now.

    The shift sits on a rotation of its own, so it never clashes with a demo rota. With the
    default lead times (a day and an hour) the scanner finds the reminder due at its next
    tick, a minute or so after start-up; the handoff message follows when the shift starts,
    and a batched change notice (the shift was added by hand) a few minutes later.
    """
    now = now or timezone.now()
    user = get_user_model().objects.get(username=username)
    team = Team.objects.filter(slug=DEMO_TEAM).first() or user.teams.order_by("name").first()
    rotation = Rotation.objects.filter(name=DEMO_ROTATION).first()
    if rotation is None:
        rotation = rota_services.rotation_create(
            name=DEMO_ROTATION,
            description="Shows reminders: `python manage.py demo_reminder` adds another shift.",
            kind=Rotation.Kind.PERSON,
            team=team,
            timezone=team.timezone if team else "UTC",
            start_date=now.date(),
            active=False,  # no nightly generation: its shifts are made by hand
            participants=[user],
        )
    start = (now + starts_in).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    latest = rotation.shifts.order_by("-end").first()
    if latest is not None and latest.end > start:
        start = latest.end
    shift = rota_services.shift_create(
        rotation=rotation, start=start, end=start + LASTS, user=user, note="Reminder demo"
    )
    if log is not None:
        log(f"reminder demo: {username} is on {DEMO_ROTATION} from {start:%H:%M} UTC")
    return shift


def reminder_demo_rearm(*, now=None, username=DEMO_USERNAME) -> tuple[Shift, datetime.datetime]:
    """Make sure a demo reminder is still to come; return its shift and when it is due.

    A demo shift that has not started and of which nobody has been reminded yet is kept (the
    fresh seed's own); otherwise another is added, as ``seed_reminder_demo`` does. The due
    instant is when the scanner first finds a lead time reached: at once (its next tick) for
    a shift within the person's longest lead time. Raise ``LookupError`` when the database
    holds no reminder demo (no demo user, or no demo rotation: not a demo database).
    """
    now = now or timezone.now()
    user = get_user_model().objects.filter(username=username).first()
    rotation = Rotation.objects.filter(name=DEMO_ROTATION).first()
    if user is None or rotation is None:
        raise LookupError("This database holds no reminder demo.")
    reminded = Delivery.objects.filter(
        kind=Delivery.Kind.REMINDER, shift__rotation=rotation, user=user
    ).values("shift_id")
    pending = (
        rotation.shifts.filter(start__gt=now, user=user)
        .exclude(pk__in=reminded)
        .order_by("start")
        .first()
    )
    shift = pending or seed_reminder_demo(now=now, username=username)
    recipient = recipient_for(user)
    longest = max(recipient.lead_times) if recipient is not None else 0
    return shift, max(now, shift.start - datetime.timedelta(minutes=longest))
