"""Reminders and handoffs follow the final schedule: covers and restricted hours count.

The organisation: team Payments (Europe/London) runs the weekly rotation "Payments on-call" of
alice and bob; carol, also in Payments, covers for them. ``now`` is Mon 3 Jun 2024 09:00 UTC
(10:00 BST, 11:00 CEST). Covers are made through the rota services, as the API and the admin
make them.
"""

import datetime

import pytest
from django.core import mail

from notifications import services
from notifications.models import ChangeNotice, Delivery
from rota import services as rota_services
from rota.models import Rotation
from tests.ownership.factories import MembershipFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
UTC = datetime.UTC


@pytest.fixture
def carol(team):
    user = UserFactory(username="carol", first_name="Carol", last_name="Diaz")
    MembershipFactory(team=team, user=user)
    return user


def cover(rotation, user, start, end, **extra):
    return rota_services.override_create(
        rotation=rotation, user=user, start=start, end=end, **extra
    )


def outbox(prefix="Reminder"):
    """Return {address: [subject, ...]} of the mail of one kind sent so far."""
    found = {}
    for message in mail.outbox:
        if message.subject.startswith(prefix):
            found.setdefault(message.to[0], []).append(message.subject)
    return found


def body_of(address, index=0, prefix="Reminder"):
    mine = [m for m in mail.outbox if m.to[0] == address and m.subject.startswith(prefix)]
    return mine[index].body


# --- Reminders ----------------------------------------------------------------------------


def test_a_person_covered_in_full_is_not_reminded_and_the_coverer_is(
    rotation, alice, carol, now, deliver
):
    # Alice's shift starts in 30 min (09:30 UTC, 10:30 BST) and lasts a week; carol covers all
    # of it. Alice holds no duty at all: no reminder. Carol's cover starts in 30 min: her
    # 1-hour reminder is due now, with the rotation, the team, whom she covers and a link.
    shift = ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    cover(rotation, carol, shift.start, shift.end, reason="Alice is ill")
    deliver(now)
    assert outbox() == {
        "carol@example.com": ["Reminder: you cover Payments on-call from Mon 3 Jun 2024, 10:30 BST"]
    }
    body = body_of("carol@example.com")
    assert "Your cover of Payments on-call starts in 30 minutes." in body
    assert "- Starts: Mon 3 Jun 2024, 10:30 BST" in body
    assert "- Ends: Mon 10 Jun 2024, 10:30 BST" in body
    assert "- Rotation: Payments on-call" in body
    assert "- Team: Payments" in body
    assert "- Covering for: Alice Martin" in body
    assert "- Reason: Alice is ill" in body
    assert "- Link: http://localhost:8000/teams/payments/" in body

    # Once it has started, carol is told she is on duty; alice hears nothing, then or ever.
    deliver(now + 40 * MINUTE)
    assert len(outbox()["carol@example.com"]) == 1
    assert outbox("Handoff") == {
        "carol@example.com": ["Handoff: Payments on-call passes to Carol Diaz"]
    }
    assert not Delivery.objects.filter(user=alice).exists()


def test_a_team_covered_in_full_by_another_team_is_not_reminded(team, alice, now, deliver):
    # Team rotation "Support": Payments' support shift starts in 30 min, but Search covers all
    # of it. Search's member is reminded; Payments' members (alice) are not.
    from tests.ownership.factories import TeamFactory
    from tests.rota.factories import TeamRotationFactory

    search = TeamFactory(name="Search", timezone="Europe/London")
    sam = MembershipFactory(team=search, user=UserFactory(username="sam")).user
    support = TeamRotationFactory(name="Support", participants=[team, search])
    shift = ShiftFactory(rotation=support, user=None, team=team, start=now + 30 * MINUTE)
    rota_services.override_create(rotation=support, team=search, start=shift.start, end=shift.end)
    deliver(now)
    assert outbox() == {
        sam.email: ["Reminder: Search covers Support from Mon 3 Jun 2024, 10:30 BST"]
    }


def test_a_partly_covered_person_is_told_when_they_stop_and_reminded_when_they_resume(
    rotation, alice, carol, now, deliver
):
    # Alice reads Europe/Berlin (CEST, UTC+2). Her shift: Mon 3 Jun 09:45 UTC (11:45 CEST) to
    # Mon 10 Jun 09:45 UTC. Carol covers Tue 4 Jun 07:00 UTC (09:00 CEST) to Wed 5 Jun 07:00
    # UTC. Alice holds two pieces:
    #   1. Mon 3 Jun 11:45 CEST - Tue 4 Jun 09:00 CEST (reminded 1 h ahead: now, 45 min ahead)
    #   2. Wed 5 Jun 09:00 CEST - Mon 10 Jun 11:45 CEST (reminded a day ahead: Tue 4 Jun 07:00
    #      UTC)
    NotificationPreferenceFactory(user=alice, timezone="Europe/Berlin")
    start = now + 45 * MINUTE
    ShiftFactory(rotation=rotation, user=alice, start=start, end=start + 7 * DAY)
    cover(rotation, carol, datetime.datetime(2024, 6, 4, 7, tzinfo=UTC), now + 46 * HOUR)
    deliver(now)
    (subject,) = outbox()["alice@example.com"]
    assert subject == "Reminder: your Payments on-call shift starts Mon 3 Jun 2024, 11:45 CEST"
    body = body_of("alice@example.com")
    assert "- Starts: Mon 3 Jun 2024, 11:45 CEST\n- Ends: Tue 4 Jun 2024, 09:00 CEST\n" in body
    assert "- Carol Diaz: Tue 4 Jun 2024, 09:00 CEST - Wed 5 Jun 2024, 09:00 CEST" in body
    assert "Your other duty on this shift\n- Wed 5 Jun 2024, 09:00 CEST - Mon 10 Jun 2024, " in (
        body
    )

    mail.outbox.clear()
    deliver(datetime.datetime(2024, 6, 4, 7, tzinfo=UTC))
    assert outbox()["alice@example.com"] == [
        "Reminder: your Payments on-call shift resumes Wed 5 Jun 2024, 09:00 CEST"
    ]
    body = body_of("alice@example.com")
    assert "- Starts: Wed 5 Jun 2024, 09:00 CEST\n- Ends: Mon 10 Jun 2024, 11:45 CEST\n" in body
    assert "resumes in 24 hours, after a cover." in body


def test_a_partly_covered_reminder_is_right_across_a_dst_change(rotation, alice, carol, deliver):
    # Berlin leaves summer time on Sun 27 Oct 2024 at 03:00 CEST (01:00 UTC). Alice's shift:
    # Sat 26 Oct 07:00 UTC (09:00 CEST) to Sat 2 Nov 08:00 UTC (09:00 CET). Carol covers Sun 27
    # Oct 08:00 UTC (09:00 CET, after the change) to Mon 28 Oct 08:00 UTC (09:00 CET).
    # Scanned at Sat 06:30 UTC, the 1-hour reminder ends at 09:00 CET on Sunday; the second
    # piece, Mon 28 Oct 09:00 CET - Sat 2 Nov 09:00 CET, is reminded at Mon 07:30 UTC.
    NotificationPreferenceFactory(user=alice, timezone="Europe/Berlin")
    start = datetime.datetime(2024, 10, 26, 7, tzinfo=UTC)
    ShiftFactory(
        rotation=rotation,
        user=alice,
        start=start,
        end=datetime.datetime(2024, 11, 2, 8, tzinfo=UTC),
    )
    cover(
        rotation,
        carol,
        datetime.datetime(2024, 10, 27, 8, tzinfo=UTC),
        datetime.datetime(2024, 10, 28, 8, tzinfo=UTC),
    )
    deliver(start - 30 * MINUTE)
    assert outbox()["alice@example.com"] == [
        "Reminder: your Payments on-call shift starts Sat 26 Oct 2024, 09:00 CEST"
    ]
    assert "- Ends: Sun 27 Oct 2024, 09:00 CET\n" in body_of("alice@example.com")

    mail.outbox.clear()
    deliver(datetime.datetime(2024, 10, 28, 7, 30, tzinfo=UTC))
    assert outbox()["alice@example.com"] == [
        "Reminder: your Payments on-call shift resumes Mon 28 Oct 2024, 09:00 CET"
    ]
    assert "- Ends: Sat 2 Nov 2024, 09:00 CET\n" in body_of("alice@example.com")


def test_a_cover_added_after_the_reminder_was_planned_is_honoured_and_nothing_goes_twice(
    rotation, alice, carol, now, scan
):
    # The scan plans alice's 1-hour reminder (her shift starts in 30 min); before a worker
    # sends it, carol is set to cover the whole shift. The planned reminder is skipped, carol
    # is reminded at the next scan, and later scans send nothing more to anyone.
    shift = ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (planned,) = scan(now)
    cover(rotation, carol, shift.start, shift.end)
    assert services.delivery_send(delivery_id=planned, now=now).status == "skipped"
    assert "covers" in Delivery.objects.get(pk=planned).last_error

    for at in (now + MINUTE, now + 2 * MINUTE, now + 20 * MINUTE):
        for delivery_id in scan(at):
            services.delivery_send(delivery_id=delivery_id, now=at)
    assert outbox() == {
        "carol@example.com": ["Reminder: you cover Payments on-call from Mon 3 Jun 2024, 10:30 BST"]
    }


def test_a_cover_cutting_a_planned_reminder_short_changes_its_end_not_its_count(
    rotation, alice, carol, now, scan
):
    # Alice's week starts in 30 min (10:30 BST); her 1-hour reminder is planned. Then carol
    # covers 12:00-15:00 UTC (13:00-16:00 BST). The reminder, sent after that, ends at 13:00
    # BST; scanning again does not send it again. Her second piece starts at 16:00 BST, six
    # hours ahead: its day-ahead reminder is a new occurrence under its own key.
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (planned,) = scan(now)
    cover(rotation, carol, now + 3 * HOUR, now + 6 * HOUR)
    assert services.delivery_send(delivery_id=planned, now=now).status == "sent"
    (message,) = mail.outbox
    assert "- Ends: Mon 3 Jun 2024, 13:00 BST\n" in message.body

    for delivery_id in scan(now + MINUTE):
        services.delivery_send(delivery_id=delivery_id, now=now + MINUTE)
    assert outbox()["alice@example.com"] == [
        "Reminder: your Payments on-call shift starts Mon 3 Jun 2024, 10:30 BST",
        "Reminder: your Payments on-call shift resumes Mon 3 Jun 2024, 16:00 BST",
    ]
    starts = Delivery.objects.filter(user=alice).values_list("occurs_at", flat=True)
    assert sorted(starts) == [now + 30 * MINUTE, now + 6 * HOUR]


def test_a_business_hours_week_is_reminded_once_when_its_hours_begin(now, deliver):
    # A business-hours rotation in Europe/Berlin (09:00-17:00 CEST = 07:00-15:00 UTC). Dana's
    # week starts Mon 3 Jun 06:00 UTC (08:00 CEST, before the hours) and ends Mon 10 Jun. Her
    # duty starts at 09:00 CEST and runs, across the nights, to Fri 7 Jun 17:00 CEST: one
    # reminder a day ahead (scanned Sun 2 Jun 08:00 UTC), none at each morning's opening.
    team = MembershipFactory().team
    dana = MembershipFactory(team=team, user=UserFactory(username="dana")).user
    NotificationPreferenceFactory(user=dana, timezone="Europe/Berlin")
    rotation = RotationFactory(
        team=team, timezone="Europe/Berlin", restriction=Rotation.Restriction.BUSINESS_HOURS
    )
    start = datetime.datetime(2024, 6, 3, 6, tzinfo=UTC)
    ShiftFactory(rotation=rotation, user=dana, start=start)
    subject = f"Reminder: your {rotation.name} shift starts Mon 3 Jun 2024, 09:00 CEST"
    deliver(datetime.datetime(2024, 6, 2, 8, tzinfo=UTC))
    assert outbox() == {dana.email: [subject]}
    assert "- Ends: Fri 7 Jun 2024, 17:00 CEST\n" in body_of(dana.email)
    # Mon 06:30 UTC: the 1-hour reminder before the hours begin. Tue 06:30 and 06:59 UTC,
    # within an hour of Tuesday's opening: nothing, the week's duty carries on.
    for at in (now - 150 * MINUTE, now + 21 * HOUR + 30 * MINUTE, now + 22 * HOUR - MINUTE):
        deliver(at)
    assert outbox() == {dana.email: [subject, subject]}


def test_the_reminder_scan_costs_the_same_queries_whatever_the_rota(
    team, alice, bob, carol, django_assert_num_queries
):
    # Shifts and covers across rotations, all due for reminders, the covers new enough for
    # change notices (hence the real clock): one scan's queries must not grow with them.
    # Measured on one rotation, then on five more.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from notifications.services import notifications_scan

    now = timezone.now()

    def add(count):
        for _ in range(count):
            rotation = RotationFactory(team=team)
            shift = ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
            cover(rotation, carol, shift.start + HOUR, shift.start + 2 * HOUR)
            ShiftFactory(rotation=rotation, user=bob, start=shift.end)

    add(1)
    with CaptureQueriesContext(connection) as small:
        notifications_scan(now=timezone.now(), enqueue=lambda ids: None)
    Delivery.objects.all().delete()
    ChangeNotice.objects.all().delete()
    add(5)
    with django_assert_num_queries(len(small.captured_queries)):
        notifications_scan(now=timezone.now(), enqueue=lambda ids: None)
    # alice's first piece, her second after the cover, and carol's cover, in six rotations
    assert Delivery.objects.filter(kind="reminder").count() == 3 * 6
    assert ChangeNotice.objects.filter(user=alice).count() == 6


# --- Handoffs -----------------------------------------------------------------------------


def test_a_cover_starting_at_the_handoff_means_the_coverer_takes_over(
    rotation, alice, bob, carol, now, deliver
):
    # Alice's week ends and bob's begins at T = now - 1 min (09:59 BST); carol covers bob's
    # first two hours, T to T + 2 h. At T alice hands over to carol (bob is not told); at
    # T + 2 h carol hands over to bob, who holds the rest of his week.
    handoff = now - MINUTE
    ShiftFactory(rotation=rotation, user=alice, start=handoff - 7 * DAY, end=handoff)
    ShiftFactory(rotation=rotation, user=bob, start=handoff, end=handoff + 7 * DAY)
    cover(rotation, carol, handoff, handoff + 2 * HOUR)
    mail.outbox.clear()
    Delivery.objects.all().delete()  # reminders and notices of the set-up are not the point

    deliver(now)
    handoffs = [m for m in mail.outbox if m.subject.startswith("Handoff")]
    assert sorted(m.to[0] for m in handoffs) == ["alice@example.com", "carol@example.com"]
    assert {m.subject for m in handoffs} == {
        "Handoff: Payments on-call passes from Alice Martin to Carol Diaz"
    }
    carol_body = next(m.body for m in handoffs if m.to == ["carol@example.com"])
    assert "You are on duty for Payments on-call now, taking over from Alice Martin." in carol_body
    assert "- Carol Diaz: Mon 3 Jun 2024, 09:59 BST - Mon 3 Jun 2024, 11:59 BST" in carol_body

    mail.outbox.clear()
    deliver(handoff + 2 * HOUR + MINUTE)
    handoffs = [m for m in mail.outbox if m.subject.startswith("Handoff")]
    assert sorted(m.to[0] for m in handoffs) == ["bob@example.com", "carol@example.com"]
    bob_body = next(m.body for m in handoffs if m.to == ["bob@example.com"])
    assert handoffs[0].subject == "Handoff: Payments on-call passes from Carol Diaz to Bob Stone"
    assert "You are on duty for Payments on-call now, taking over from Carol Diaz." in bob_body
    assert "- Bob Stone: Mon 3 Jun 2024, 11:59 BST - Mon 10 Jun 2024, 09:59 BST" in bob_body


def test_a_cover_spanning_the_handoff_instant_hands_over_at_its_edges_only(
    rotation, alice, bob, carol, now, deliver
):
    # Carol covers T - 1 h to T + 1 h around the alice -> bob handoff at T = now - 1 min. At
    # T nothing changes hands (carol stays on): no handoff message at all. The handoff from
    # alice to carol happened at T - 1 h (past the 30-minute grace by now); at T + 1 h carol
    # hands over to bob.
    handoff = now - MINUTE
    ShiftFactory(rotation=rotation, user=alice, start=handoff - 7 * DAY, end=handoff)
    ShiftFactory(rotation=rotation, user=bob, start=handoff, end=handoff + 7 * DAY)
    cover(rotation, carol, handoff - HOUR, handoff + HOUR)
    mail.outbox.clear()

    deliver(now)
    assert not Delivery.objects.filter(kind="handoff").exists()
    deliver(handoff + HOUR + MINUTE)
    handoffs = [m for m in mail.outbox if m.subject.startswith("Handoff")]
    assert {m.subject for m in handoffs} == {
        "Handoff: Payments on-call passes from Carol Diaz to Bob Stone"
    }
    assert sorted(m.to[0] for m in handoffs) == ["bob@example.com", "carol@example.com"]


def test_a_cover_added_after_a_handoff_was_planned_stops_it(rotation, alice, bob, carol, now, scan):
    # The alice -> bob handoff at T = now - 1 min is planned; then carol is set to cover
    # T - 1 h to T + 1 h. The planned messages are skipped: nothing changes hands at T.
    handoff = now - MINUTE
    ShiftFactory(rotation=rotation, user=alice, start=handoff - 7 * DAY, end=handoff)
    ShiftFactory(rotation=rotation, user=bob, start=handoff, end=handoff + 7 * DAY)
    planned = scan(now)
    assert len(planned) == 2
    cover(rotation, carol, handoff - HOUR, handoff + HOUR)
    results = [services.delivery_send(delivery_id=pk, now=now).status for pk in planned]
    assert results == ["skipped", "skipped"]
    assert mail.outbox == []
