import importlib

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from portal.celery import app

pytestmark = pytest.mark.django_db

migration = importlib.import_module("notifications.migrations.0002_beat_schedule")


def test_the_schedule_registers_every_periodic_task_once_and_keeps_admin_edits():
    PeriodicTask.objects.all().delete()
    migration.schedule(apps, None)
    migration.schedule(apps, None)
    tasks = {t.task: t for t in PeriodicTask.objects.select_related("interval", "crontab")}
    assert set(tasks) == {
        "notifications.scan",
        "notifications.warn_rota_problems",
        "rota.extend_rotations",
    }
    scan = tasks["notifications.scan"]
    assert (scan.interval.every, scan.interval.period) == (1, "minutes")
    nightly = tasks["rota.extend_rotations"].crontab
    assert (nightly.minute, nightly.hour, str(nightly.timezone)) == ("0", "2", "UTC")

    scan.enabled = False
    scan.save()
    migration.schedule(apps, None)
    assert not PeriodicTask.objects.get(task="notifications.scan").enabled


def test_every_scheduled_task_exists_in_the_worker():
    app.loader.import_default_modules()
    for name in (spec["task"] for spec in migration.TASKS):
        assert name in app.tasks


def test_the_send_task_is_acknowledged_late_and_requeued_when_its_worker_dies():
    from notifications.tasks import send_delivery

    assert send_delivery.acks_late is True
    assert send_delivery.reject_on_worker_lost is True


def test_the_buffer_check_is_scheduled_every_15_minutes_once_and_exists_in_the_worker():
    capacity = importlib.import_module("notifications.migrations.0004_capacity_schedule")
    PeriodicTask.objects.filter(task=capacity.TASK).delete()
    capacity.schedule(apps, None)
    capacity.schedule(apps, None)
    (task,) = PeriodicTask.objects.filter(task="notifications.check_capacity")
    assert (task.interval.every, task.interval.period) == (15, "minutes")
    app.loader.import_default_modules()
    assert "notifications.check_capacity" in app.tasks
