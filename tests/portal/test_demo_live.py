"""The demo is live from its first minute: its incident pages, its rota, its reminder."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from incidents.models import Incident, Page
from incidents.services.escalation import escalation_scan
from incidents.services.paging import page_deliver
from portal.demo import seed as demo
from rota.models import Rotation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 9, 30, tzinfo=datetime.UTC)  # a Monday morning
ORGANISATION = [
    demo.seed_people,
    demo.seed_teams,
    demo.seed_catalog,
    demo.seed_reorg,
    demo.seed_additions,
]


def test_the_open_demo_incident_pages_the_first_line_at_once_and_escalates_on_schedule():
    from portal.demo.rota import seed_open_incident, seed_rota

    demo.seed_all(now=NOW, sections=[*ORGANISATION, seed_rota, seed_open_incident])

    incident = Incident.objects.get(status=Incident.Status.TRIGGERED)
    # Checkout API is under the storefront's rotating policy with Operations as first line.
    # With the default delays (first line and primary at once, secondary after 5 minutes)
    # both are paged at creation: the pages wait in the broker for the worker to start.
    assert incident.created_at == NOW
    assert incident.first_line_responder is not None and incident.responder is not None
    pages = list(Page.objects.filter(incident=incident).order_by("pk"))
    assert [(p.step, p.user_id, p.status) for p in pages] == [
        ("first_line", incident.first_line_responder_id, Page.Status.PENDING),
        ("primary", incident.responder_id, Page.Status.PENDING),
    ]
    # The secondary is next, when the scheduler's scan finds it due.
    assert incident.next_escalation_at == NOW + datetime.timedelta(minutes=5)

    assert [page_deliver(page_id=p.pk) for p in pages] == [Page.Status.SENT] * 2
    assert [m.to for m in mail.outbox] == [
        [incident.first_line_responder.email],
        [incident.responder.email],
    ]
    assert mail.outbox[0].subject.startswith(f"[SEV2] Incident #{incident.pk}: Checkout API")

    escalation_scan(now=incident.next_escalation_at)
    paged = list(Page.objects.filter(incident=incident).values_list("step", flat=True))
    assert paged[2:] == ["secondary"]


def test_the_demo_rota_reaches_every_rotations_horizon():
    from portal.demo.rota import seed_rota

    demo.seed_all(now=NOW, sections=[*ORGANISATION, seed_rota])

    # Each rotation is generated as the nightly job leaves it: shifts up to now + its
    # horizon (26 weeks by default), so the last shift ends no earlier than one shift length
    # before that instant (a weekly rotation: within a week; a sprint one: two weeks).
    rotations = Rotation.objects.filter(active=True)
    assert rotations.count() >= 10
    for rotation in rotations:
        horizon = NOW + datetime.timedelta(weeks=rotation.horizon_weeks)
        last = rotation.shifts.order_by("-end").first()
        assert last is not None, rotation.name
        assert last.end >= horizon - datetime.timedelta(days=14), rotation.name
        # Ten weeks was the old reach: a preview past it showed a false gap.
        assert last.end > NOW + datetime.timedelta(weeks=20), rotation.name


def _rearm():
    out = io.StringIO()
    call_command("demo_reminder", "--if-needed", stdout=out)
    return out.getvalue()


def test_make_runs_reminder_line_is_true_on_a_fresh_and_on_a_restarted_demo(monkeypatch):
    from django.utils import timezone

    from notifications.demo import DEMO_ROTATION
    from notifications.models import Delivery
    from notifications.services import notifications_scan

    def reminded_shifts(at):
        notifications_scan(now=at, enqueue=lambda ids: None)
        rows = Delivery.objects.filter(kind=Delivery.Kind.REMINDER)
        return set(rows.values_list("shift_id", flat=True))

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    demo.seed_all(now=NOW, sections=[demo.seed_people, demo.seed_teams, demo.seed_reminder])
    rotation = Rotation.objects.get(name=DEMO_ROTATION)
    seeded = list(rotation.shifts.values_list("pk", flat=True))

    # Fresh seed: its shift is still to be reminded of; nothing is added and the line promises
    # what the first scan does.
    line = _rearm()
    assert "arrives in var/mail/ about a minute after start-up" in line
    assert list(rotation.shifts.values_list("pk", flat=True)) == seeded

    # The first run's scanner reminded her; a restart must arm another reminder.
    assert reminded_shifts(NOW) == set(seeded)
    line = _rearm()
    assert "about a minute after start-up" in line
    assert rotation.shifts.count() == 2
    added = rotation.shifts.order_by("-start").first()
    assert added.start > NOW
    # The scanner finds the new shift's reminder due at once.
    assert reminded_shifts(NOW + datetime.timedelta(minutes=1)) == {*seeded, added.pk}
    # A second restart before that reminder went out adds nothing more.
    Delivery.objects.filter(shift=added).delete()
    _rearm()
    assert rotation.shifts.count() == 2


def test_the_reminder_line_promises_nothing_on_a_database_without_the_demo():
    assert _rearm().strip() == "No demo reminder: this database does not hold the demo."


def test_the_reminder_line_gives_the_time_when_the_reminder_is_not_due_at_once(monkeypatch):
    from django.utils import timezone

    from notifications.demo import DEMO_ROTATION
    from notifications.models import Delivery
    from notifications.services import notifications_scan
    from rota import services as rota_services

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    demo.seed_all(now=NOW, sections=[demo.seed_people, demo.seed_teams, demo.seed_reminder])
    rotation = Rotation.objects.get(name=DEMO_ROTATION)
    seeded = rotation.shifts.get()
    # Her demo shifts run on until 30 hours from now, and she was reminded of them.
    long = rota_services.shift_create(
        rotation=rotation,
        start=seeded.end,
        end=NOW + datetime.timedelta(hours=30),
        user=seeded.user,
        note="Reminder demo",
    )
    notifications_scan(now=NOW, enqueue=lambda ids: None)
    assert set(
        Delivery.objects.filter(kind=Delivery.Kind.REMINDER).values_list("shift_id", flat=True)
    ) == {seeded.pk, long.pk}

    # The next shift starts when that one ends; with her lead times of a day and an hour,
    # its first reminder is due a day before: 30 h - 24 h = 6 h from now, 15:30 UTC today.
    line = _rearm()
    assert "for the Payments reminder demo shift at 2026-12-01 15:30 UTC" in line
    assert line.strip().endswith("arrives in var/mail/ at 2026-11-30 15:30 UTC.")
