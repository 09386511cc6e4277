"""Schedule the escalation scanner every minute (Celery beat's database schedule).

Idempotent, and it keeps what an admin changed: the entry is created only when no periodic
task runs the scanner yet.
"""

from django.db import migrations
from django.utils import timezone

TASK = "incidents.scan_escalations"
TASK_NAME = "Incidents: escalate unacknowledged incidents"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(task=TASK).exists():
        return
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=TASK,
        interval=every_minute,
        # A scan that waited longer than this in the queue is superseded by a newer one.
        expire_seconds=120,
        description="Every minute: page the next escalation step of triggered incidents.",
    )
    # Tell a running beat to reload its schedule (what PeriodicTask.save() does).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
