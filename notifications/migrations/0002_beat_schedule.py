"""Register the periodic tasks with django-celery-beat's database schedule.

A data migration rather than a command, so that every way of installing Rota (make run, the
Procfile's release step, a plain `manage.py migrate`) gets the schedule with no extra step.
It is idempotent and keeps what an admin changed since: it only creates missing entries.
"""

from django.db import migrations
from django.utils import timezone

TASKS = [
    {
        "name": "Notifications: scan for due reminders, handoffs and changes",
        "task": "notifications.scan",
        "interval": {"every": 1, "period": "minutes"},
        # A scan that waited in the queue for longer than this is superseded by a newer one.
        "expire_seconds": 300,
        "description": "Every minute: find what is due and enqueue one send task per message.",
    },
    {
        "name": "Notifications: warn managers about rota problems",
        "task": "notifications.warn_rota_problems",
        "crontab": {"minute": "0", "hour": "7"},
        "expire_seconds": 3600,
        "description": "Daily at 07:00 UTC; each manager hears at most once per ISO week.",
    },
    {
        "name": "Rota: extend rotations to their horizon",
        "task": "rota.extend_rotations",
        "crontab": {"minute": "0", "hour": "2"},
        "expire_seconds": 3600,
        "description": "Nightly at 02:00 UTC: generate shifts up to each rotation's horizon.",
    },
]


def schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    changed = False
    for spec in TASKS:
        if PeriodicTask.objects.filter(task=spec["task"]).exists():
            continue  # registered before (maybe edited in the admin): leave it as it is
        when = {}
        if "interval" in spec:
            when["interval"], _ = IntervalSchedule.objects.get_or_create(**spec["interval"])
        else:
            when["crontab"], _ = CrontabSchedule.objects.get_or_create(
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="UTC",
                **spec["crontab"],
            )
        PeriodicTask.objects.create(
            name=spec["name"],
            task=spec["task"],
            expire_seconds=spec["expire_seconds"],
            description=spec["description"],
            **when,
        )
        changed = True
    if changed:
        # Tell a running beat to reload its schedule (what PeriodicTask.save() does).
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[spec["name"] for spec in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
