import datetime

import pytest
from django.core import mail

from notifications import services
from notifications.models import Delivery
from tests.ownership.factories import MembershipFactory, UserFactory
from tests.rota.factories import ShiftFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def warn(django_capture_on_commit_callbacks):
    def run(at):
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            services.rota_warnings_scan(now=at, enqueue=enqueued.extend)
        for delivery_id in enqueued:
            services.delivery_send(delivery_id=delivery_id, now=at)
        return enqueued

    return run


def test_managers_hear_once_a_week_about_gaps_and_leave_conflicts(
    team, rotation, alice, bob, now, warn
):
    maria = MembershipFactory(
        team=team, role="manager", user=UserFactory(first_name="Maria", last_name="Garcia")
    ).user
    start = datetime.datetime(2024, 6, 3, 8, tzinfo=datetime.UTC)  # 09:00 London
    ShiftFactory(rotation=rotation, user=alice, start=start, end=start + 7 * DAY)
    ShiftFactory(rotation=rotation, user=bob, start=start + 7 * DAY, end=start + 14 * DAY)
    UnavailabilityFactory(
        user=bob,
        start_date=datetime.date(2024, 6, 11),
        end_date=datetime.date(2024, 6, 12),
        reason="Conference",
    )
    assert len(warn(now)) == 1
    (message,) = mail.outbox
    assert message.to == [maria.email]
    assert message.subject.startswith("Rota check: ") and "in the next 4 weeks" in message.subject
    assert "Payments on-call" in message.body
    assert "- Nobody on duty: Mon 17 Jun 2024, 09:00 BST - Mon 1 Jul 2024, 10:00 BST" in (
        message.body
    )
    assert (
        "- Bob Stone is on duty while away (Conference): Tue 11 Jun 2024, 00:00 BST - "
        "Thu 13 Jun 2024, 00:00 BST"
    ) in message.body

    assert warn(now + DAY) == []  # the same ISO week
    assert len(warn(now + 7 * DAY)) == 1
    assert Delivery.objects.filter(kind="warning").count() == 2


def test_a_rota_without_problems_warns_nobody(team, rotation, alice, now, warn):
    MembershipFactory(team=team, role="manager")
    ShiftFactory(
        rotation=rotation,
        user=alice,
        start=now - 7 * DAY,
        end=now + 60 * DAY,
    )
    assert warn(now) == []
