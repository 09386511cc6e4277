import datetime

import pytest
from django.utils import timezone

from rota import services
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, TeamRotationFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def feed_org(db):
    """A small organisation whose duty sits around today, for feeds served over HTTP.

    Team Payments (slug payments, Europe/Berlin) has alice, bob and carol. Its person rotation
    "Payments on call" runs in America/New_York (a zone of its own, so each feed's zone can be
    told apart): alice holds days 0-7 from ``base`` (08:00 UTC three days ago), bob days 7-14,
    alice days 14-21, which carol covers in full; carol also covers bob on day 8. The team
    rotation "Support" (Europe/London) has Payments on support for days 0-14.
    """
    base = (timezone.now() - 3 * DAY).replace(hour=8, minute=0, second=0, microsecond=0)
    team = TeamFactory(name="Payments", slug="payments", timezone="Europe/Berlin")
    people = {
        name: MembershipFactory(
            team=team, user=UserFactory(username=name, first_name=name.title(), last_name="X")
        ).user
        for name in ("alice", "bob", "carol")
    }
    rotation = RotationFactory(
        name="Payments on call", team=team, timezone="America/New_York", participants=[]
    )
    support = TeamRotationFactory(name="Support", timezone="Europe/London", participants=[])

    def shift(user, first_day, days):
        start = base + first_day * DAY
        return ShiftFactory(rotation=rotation, user=user, start=start, end=start + days * DAY)

    shifts = {
        "alice": shift(people["alice"], 0, 7),
        "bob": shift(people["bob"], 7, 7),
        "alice-later": shift(people["alice"], 14, 7),
        "support": ShiftFactory(
            rotation=support, user=None, team=team, start=base, end=base + 14 * DAY
        ),
    }
    covers = {
        "bob": services.override_create(
            rotation=rotation,
            user=people["carol"],
            start=base + 8 * DAY,
            end=base + 9 * DAY,
            reason="Bob at the dentist",
        ),
        "alice-later": services.override_create(
            rotation=rotation, user=people["carol"], start=base + 14 * DAY, end=base + 21 * DAY
        ),
    }
    for row in shifts.values():
        row.refresh_from_db()  # the covers raised the sequences of the shifts under them
    return {
        "base": base,
        "team": team,
        "rotation": rotation,
        "support": support,
        "people": people,
        "shifts": shifts,
        "covers": covers,
    }
