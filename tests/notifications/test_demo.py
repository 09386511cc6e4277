import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.demo import seed_reminder_demo
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_engineer():
    team = TeamFactory(slug="payments", name="Payments", timezone="Europe/London")
    return MembershipFactory(
        team=team, user=UserFactory(username="alice.martin", email="alice.martin@example.com")
    ).user


def test_the_demo_engineer_gets_a_reminder_at_the_first_scan_after_start_up(
    demo_engineer, now, deliver
):
    shift = seed_reminder_demo(now=now)
    assert shift.user == demo_engineer
    assert now + datetime.timedelta(minutes=5) < shift.start <= now + datetime.timedelta(minutes=7)
    deliver(now + datetime.timedelta(minutes=1))
    assert [m.to for m in mail.outbox] == [["alice.martin@example.com"]]
    assert mail.outbox[0].subject.startswith("Reminder: your Payments reminder demo shift")
    deliver(shift.start)
    assert mail.outbox[-1].subject.startswith("Handoff: Payments reminder demo")


def test_the_command_adds_another_demo_shift_after_the_last(demo_engineer, now):
    first = seed_reminder_demo(now=now, starts_in=datetime.timedelta(minutes=30))
    out = io.StringIO()
    call_command("demo_reminder", "--minutes", "2", stdout=out)
    assert "alice.martin is on Payments reminder demo from" in out.getvalue()
    second = first.rotation.shifts.order_by("-start").first()
    assert second.pk != first.pk and second.start >= first.end
