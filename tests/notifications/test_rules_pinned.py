"""Quiet hours that cross midnight, read in the person's own time zone (README "Notifications").

alice is in Payments (Europe/London) but set America/New_York (EDT in June, UTC-4) and quiet
hours 22:00-07:00 in her preferences. A reminder a day ahead (not urgent) found in her quiet
hours waits for 07:00 New York; one found outside them goes at once.
"""

import datetime

import pytest

from notifications.models import Delivery
from tests.rota.factories import ShiftFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)


def utc(day, hour, minute=0):
    return datetime.datetime(2024, 6, day, hour, minute, tzinfo=UTC)


# Worked out on paper (New York = UTC-4 in June):
#   found at (New York)   = UTC           quiet?  goes out at
#   Mon 3 June 22:00      = 4 June 02:00  yes     Tue 4 June 07:00 NY = 11:00 UTC
#   Mon 3 June 23:30      = 4 June 03:30  yes     Tue 4 June 07:00 NY = 11:00 UTC (next day)
#   Tue 4 June 06:30      = 4 June 10:30  yes     Tue 4 June 07:00 NY = 11:00 UTC (same day)
#   Tue 4 June 07:00      = 4 June 11:00  no      at once (quiet hours end at 07:00)
#   Tue 4 June 07:30      = 4 June 11:30  no      at once
# Read in London instead (the team's zone), 06:30 NY would be 11:30 London, not quiet, and
# 23:30 NY would be released at 07:00 London = 06:00 UTC: the person's zone decides.
@pytest.mark.parametrize(
    ("found", "held", "goes_at"),
    [
        (utc(4, 2), True, utc(4, 11)),
        (utc(4, 3, 30), True, utc(4, 11)),
        (utc(4, 10, 30), True, utc(4, 11)),
        (utc(4, 11), False, utc(4, 11)),
        (utc(4, 11, 30), False, utc(4, 11, 30)),
    ],
)
def test_quiet_hours_across_midnight_hold_a_reminder_until_they_end(
    rotation, alice, deliver, scan, found, held, goes_at
):
    NotificationPreferenceFactory(
        user=alice,
        timezone="America/New_York",
        quiet_hours_start=datetime.time(22, 0),
        quiet_hours_end=datetime.time(7, 0),
    )
    # 20 hours ahead: the 24 h reminder is due, the 1 h one is not; not urgent.
    ShiftFactory(rotation=rotation, user=alice, start=found + 20 * HOUR)

    deliver(found)

    reminder = Delivery.objects.get(user=alice, kind=Delivery.Kind.REMINDER)
    assert (reminder.payload["lead"], reminder.urgent) == (1440, False)
    assert reminder.not_before == goes_at
    if held:
        assert (reminder.status, reminder.enqueued_at) == ("pending", None)
        assert scan(goes_at - datetime.timedelta(minutes=1)) == []
        assert scan(goes_at) == [reminder.pk]
    else:
        assert reminder.status == "sent"
