import datetime

import pytest
from django.core import mail

from notifications.models import ChangeNotice, Delivery
from rota import services as rota_services
from tests.ownership.factories import UserFactory
from tests.rota.factories import ShiftFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def manager(team):
    from tests.ownership.factories import MembershipFactory

    return MembershipFactory(
        team=team, role="manager", user=UserFactory(first_name="Maria", last_name="Garcia")
    ).user


def edit_at(monkeypatch, instant):
    """Make the rota's audit rows carry ``instant`` as their time."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: instant)


def test_changes_within_a_few_minutes_reach_each_person_in_one_message(
    rotation, alice, bob, manager, now, deliver, monkeypatch
):
    edit_at(monkeypatch, now)
    first = ShiftFactory(rotation=rotation, user=alice, start=now + 2 * DAY)
    second = ShiftFactory(rotation=rotation, user=alice, start=now + 9 * DAY)
    rota_services.shift_reassign(shift=first, user=bob, by=manager)
    rota_services.shift_update(shift=second, start=second.start + DAY, end=second.end, by=manager)
    rota_services.shift_create(
        rotation=rotation, start=now + 20 * DAY, end=now + 21 * DAY, user=alice, by=manager
    )
    rota_services.shift_create(
        rotation=rotation, start=now + 30 * DAY, end=now + 31 * DAY, user=bob, by=bob
    )
    deliver(now + MINUTE)  # recorded, but the batch window is still open
    assert mail.outbox == []
    assert ChangeNotice.objects.filter(user=alice).count() == 3
    assert ChangeNotice.objects.filter(user=bob).count() == 1  # not their own edit

    deliver(now + 7 * MINUTE)
    messages = {m.to[0]: m for m in mail.outbox}
    assert set(messages) == {"alice@example.com", "bob@example.com"}
    assert messages["alice@example.com"].subject == "Rota changes: 3 changes to your duty"
    body = messages["alice@example.com"].body
    assert (
        "- Payments on-call: the shift Wed 5 Jun 2024, 10:00 BST - Wed 12 Jun 2024, 10:00 BST "
        "reassigned from you to Bob Stone (by Maria Garcia)"
    ) in body
    assert (
        "- Payments on-call: the shift Wed 12 Jun 2024, 10:00 BST - Wed 19 Jun 2024, 10:00 BST "
        "moved to Thu 13 Jun 2024, 10:00 BST - Wed 19 Jun 2024, 10:00 BST (by Maria Garcia)"
    ) in body
    assert "- Payments on-call: new shift Sun 23 Jun 2024, 10:00 BST" in body
    assert messages["bob@example.com"].subject == "Rota changes: 1 change to your duty"
    assert "reassigned from Alice Martin to you" in messages["bob@example.com"].body

    deliver(now + 20 * MINUTE)
    assert len(mail.outbox) == 2


def test_a_swap_and_an_override_are_noticed(rotation, alice, bob, now, deliver, monkeypatch):
    edit_at(monkeypatch, now)
    shift = ShiftFactory(rotation=rotation, user=alice, start=now + 3 * DAY)
    swap = rota_services.swap_offer(shift=shift, by=alice, now=now)
    rota_services.swap_take(swap=swap, by=bob, now=now)
    from tests.ownership.factories import MembershipFactory

    carol = MembershipFactory(
        team=rotation.team, user=UserFactory(first_name="Carol", last_name="Diaz")
    ).user
    rota_services.override_create(
        rotation=rotation,
        start=now + 3 * DAY + datetime.timedelta(hours=2),
        end=now + 3 * DAY + datetime.timedelta(hours=6),
        user=carol,
        reason="Bob at the dentist",
    )
    deliver(now + MINUTE)
    deliver(now + 10 * MINUTE)
    messages = {m.to[0]: m.body for m in mail.outbox}
    assert "swapped from you to Bob Stone (by Bob Stone)" in messages["alice@example.com"]
    assert (
        "- Payments on-call: you cover Thu 6 Jun 2024, 12:00 BST - Thu 6 Jun 2024, 16:00 BST "
        "for Bob Stone (Bob at the dentist)"
    ) in messages[carol.email]
    assert (
        "- Payments on-call: Carol Diaz covers Thu 6 Jun 2024, 12:00 BST - Thu 6 Jun 2024, "
        "16:00 BST for you (Bob at the dentist)"
    ) in messages["bob@example.com"]


def test_changes_to_past_shifts_concern_nobody(rotation, alice, bob, now, deliver, monkeypatch):
    edit_at(monkeypatch, now)
    shift = ShiftFactory(rotation=rotation, user=alice, start=now - 3 * DAY, end=now - DAY)
    rota_services.shift_reassign(shift=shift, user=bob)
    deliver(now + 10 * MINUTE)
    assert ChangeNotice.objects.count() == 0
    assert Delivery.objects.filter(kind="changes").count() == 0
