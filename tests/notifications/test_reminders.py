import datetime

import pytest

from notifications.models import Delivery
from rota import services as rota_services
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import OverrideFactory, RotationFactory, ShiftFactory, TeamRotationFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def reminder_rows():
    rows = Delivery.objects.filter(kind=Delivery.Kind.REMINDER).values_list(
        "user__username", "channel", "payload__lead"
    )
    return sorted(rows, key=lambda row: (row[0] or "", row[1], row[2]))


def test_a_reminder_is_due_at_the_lead_time_and_recorded_once(rotation, alice, now, scan):
    ShiftFactory(rotation=rotation, user=alice, start=now + 61 * MINUTE)
    assert len(scan(now)) == 1  # 61 minutes ahead: the 24 h reminder is due, not the 1 h one
    assert reminder_rows() == [("alice", "email", 1440)]

    first = scan(now + 2 * MINUTE)
    assert len(first) == 1
    assert reminder_rows() == [("alice", "email", 60), ("alice", "email", 1440)]
    assert scan(now + 3 * MINUTE) == []
    assert Delivery.objects.count() == 2


def test_a_shift_created_close_to_its_start_gets_one_reminder_not_one_per_lead_time(
    rotation, alice, now, scan
):
    ShiftFactory(rotation=rotation, user=alice, start=now + 20 * MINUTE)
    assert len(scan(now)) == 1
    assert reminder_rows() == [("alice", "email", 60)]


def test_nothing_is_due_before_the_longest_lead_time_or_after_the_start(rotation, alice, now, scan):
    ShiftFactory(rotation=rotation, user=alice, start=now + 25 * HOUR, end=now + 26 * HOUR)
    ShiftFactory(rotation=rotation, user=alice, start=now - MINUTE, end=now + HOUR)
    scan(now)
    assert reminder_rows() == []


def test_a_shift_reassigned_before_its_reminder_is_due_reminds_only_the_new_person(
    rotation, alice, bob, now, scan
):
    shift = ShiftFactory(rotation=rotation, user=alice, start=now + 3 * HOUR)
    scan(now)  # neither 1 h nor... the 24 h reminder is due for alice
    assert reminder_rows() == [("alice", "email", 1440)]
    rota_services.shift_reassign(shift=shift, user=bob)

    scan(now + 2 * HOUR + MINUTE)
    assert reminder_rows() == [("alice", "email", 1440), ("bob", "email", 60)]


def test_a_moved_shift_is_reminded_at_its_new_start(rotation, alice, now, scan):
    shift = ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    scan(now)
    rota_services.shift_update(shift=shift, start=now + 50 * MINUTE, end=shift.end)
    scan(now + MINUTE)
    starts = sorted(Delivery.objects.values_list("occurs_at", flat=True))
    assert starts == [now + 30 * MINUTE, now + 50 * MINUTE]


def test_lead_times_channels_and_inactive_people_follow_the_preferences(
    rotation, alice, bob, now, scan
):
    NotificationPreferenceFactory(
        user=alice,
        lead_times=[15],
        email_enabled=False,
        chat_enabled=True,
        chat_webhook_url="https://chat.example.com/hook/alice",
    )
    bob.is_active = False
    bob.save()
    ShiftFactory(rotation=rotation, user=alice, start=now + 20 * MINUTE)
    ShiftFactory(rotation=RotationFactory(team=rotation.team), user=bob, start=now + 20 * MINUTE)
    scan(now)
    assert reminder_rows() == []
    scan(now + 5 * MINUTE)
    assert reminder_rows() == [("alice", "chat", 15)]


def test_every_member_of_a_team_on_a_support_shift_is_reminded_and_its_channel_told(
    team, alice, bob, now, scan
):
    team.chat_webhook_url = "https://chat.example.com/hook/payments"
    team.save()
    manager = MembershipFactory(team=team, role="manager").user
    other = TeamFactory()
    MembershipFactory(team=other)
    rotation = TeamRotationFactory(participants=[team, other])
    ShiftFactory(rotation=rotation, user=None, team=team, start=now + 50 * MINUTE)

    scan(now)
    assert reminder_rows() == [
        (None, "chat", 1440),
        ("alice", "email", 60),
        ("bob", "email", 60),
        (manager.username, "email", 60),
    ]
    assert Delivery.objects.get(team=team).channel == "chat"


def test_the_person_covering_an_override_is_reminded(rotation, alice, bob, now, scan):
    ShiftFactory(rotation=rotation, user=alice, start=now - 2 * HOUR)
    OverrideFactory(rotation=rotation, user=bob, start=now + 30 * MINUTE)
    scan(now)
    row = Delivery.objects.get(user=bob)
    assert (row.user, row.override_id is not None, row.key.split("/")[1][:9]) == (
        bob,
        True,
        "override-",
    )
    # Alice takes her shift back when the 8-hour cover ends, 8 h 30 min from now: that piece
    # of her duty has its own day-ahead reminder.
    back = Delivery.objects.get(user=alice)
    assert (back.occurs_at, back.payload["lead"]) == (now + 30 * MINUTE + 8 * HOUR, 1440)


def test_quiet_hours_hold_back_a_day_ahead_reminder_but_not_an_hour_ahead_one(
    rotation, alice, bob, now, scan, deliver
):
    # 09:00 UTC is 10:00 in London, inside 09:30-12:00 quiet hours.
    for user in (alice, bob):
        NotificationPreferenceFactory(
            user=user, quiet_hours_start=datetime.time(9, 30), quiet_hours_end=datetime.time(12)
        )
    ShiftFactory(rotation=rotation, user=alice, start=now + 20 * HOUR)
    ShiftFactory(rotation=RotationFactory(team=rotation.team), user=bob, start=now + 30 * MINUTE)
    assert [r.status for r in deliver(now)] == ["sent"]
    later = Delivery.objects.get(user=alice)
    soon = Delivery.objects.get(user=bob)
    assert soon.status == "sent" and soon.urgent
    # 12:00 London is 11:00 UTC.
    assert later.not_before == now + 2 * HOUR and not later.urgent
    assert (later.status, later.enqueued_at) == ("pending", None)

    assert scan(now + HOUR) == []
    assert scan(now + 2 * HOUR) == [later.pk]


def test_a_person_without_preferences_reads_times_in_their_team_time_zone(now, scan):
    team = TeamFactory(timezone="America/New_York")
    user = MembershipFactory(team=team).user
    rotation = RotationFactory(team=team, participants=[user])
    ShiftFactory(rotation=rotation, user=user, start=now + 30 * MINUTE)
    from notifications.recipients import recipients_for

    assert recipients_for([user.pk])[user.pk].tz.key == "America/New_York"
    assert UserFactory().pk not in recipients_for([])
