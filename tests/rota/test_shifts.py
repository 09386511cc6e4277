import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from rota import services, tasks
from rota.models import Shift, ShiftChange
from tests.ownership.factories import UserFactory

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_editing_a_shift_marks_it_bumps_its_sequence_and_leaves_an_audit_row():
    shift = ShiftFactory()
    manager, cover = UserFactory(), UserFactory()
    original_user = shift.user

    services.shift_update(shift=shift, user=cover, by=manager)
    services.shift_update(shift=shift, end=shift.end + datetime.timedelta(hours=2), by=manager)

    shift.refresh_from_db()
    assert (shift.edited, shift.sequence, shift.user) == (True, 2, cover)
    changes = list(ShiftChange.objects.filter(shift=shift).order_by("id"))
    assert [(c.action, c.changed_by) for c in changes] == [
        ("updated", manager),
        ("updated", manager),
    ]
    assert (changes[0].old["user"], changes[0].new["user"]) == (original_user.pk, cover.pk)


def test_a_deleted_shift_keeps_its_audit_trail():
    shift = ShiftFactory()
    pk, manager = shift.pk, UserFactory()

    services.shift_delete(shift=shift, by=manager)

    change = ShiftChange.objects.get(shift_ref=pk)
    assert (change.action, change.shift, change.old["id"], change.changed_by) == (
        "deleted",
        None,
        pk,
        manager,
    )


def test_changing_participants_re_deals_future_shifts_at_once():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    today = timezone.now().date()
    rotation = RotationFactory(
        participants=[alice, bob], start_date=today - datetime.timedelta(days=3), timezone="UTC"
    )
    services.rotation_generate(rotation=rotation, until=today + datetime.timedelta(weeks=6))
    current = Shift.objects.get(
        rotation=rotation, start__lte=timezone.now(), end__gt=timezone.now()
    )

    services.rotation_update(rotation=rotation, participants=[alice, bob, carol])

    future = Shift.objects.filter(rotation=rotation, start__gt=timezone.now()).order_by("start")
    assert Shift.objects.get(pk=current.pk).user == alice  # the shift in progress stays
    assert [s.user.username for s in future][:4] == ["bob", "carol", "alice", "bob"]


def test_generate_shifts_command_fills_one_rotation_up_to_a_date(capsys):
    today = timezone.now().date()
    rotation = RotationFactory(participants=[UserFactory()], start_date=today, timezone="UTC")
    other = RotationFactory(participants=[UserFactory()], start_date=today)
    until = today + datetime.timedelta(days=20)

    call_command("generate_shifts", "--rotation", str(rotation.pk), "--until", until.isoformat())

    assert Shift.objects.filter(rotation=rotation).count() == 3
    assert not Shift.objects.filter(rotation=other).exists()
    assert "Created 3 shift(s)." in capsys.readouterr().out


def test_nightly_task_extends_every_rotation_to_its_horizon():
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    rotation = RotationFactory(participants=[UserFactory()], start_date=yesterday, horizon_weeks=3)

    assert tasks.extend_rotations() == 4  # the week in progress and three ahead
    assert tasks.extend_rotations() == 0
    assert Shift.objects.filter(rotation=rotation).count() == 4
