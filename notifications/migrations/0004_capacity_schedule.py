"""Register the buffer alert check with django-celery-beat's database schedule.

Like 0002: idempotent, and it only creates the entry when it is missing, so a schedule an
admin changed since is kept. The triage agendas and timebox notices need no entry of their
own: the every-minute scan finds them.
"""

from django.db import migrations
from django.utils import timezone

NAME = "Notifications: tell managers about teams' sprint buffers"
TASK = "notifications.check_capacity"


def schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    if PeriodicTask.objects.filter(task=TASK).exists():
        return
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=every,
        # A check that waited in the queue this long is superseded by the next one.
        expire_seconds=600,
        description="Every 15 minutes: compute each team's load in the current sprint and "
        "tell its managers once when it passes 80% and 100% of the buffer.",
    )
    # Tell a running beat to reload its schedule (what PeriodicTask.save() does).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_capacity_triage_timebox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
