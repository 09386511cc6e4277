"""Give a demo user a shift that starts in a few minutes, to watch the reminders arrive."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from notifications.demo import DEMO_USERNAME, seed_reminder_demo


class Command(BaseCommand):
    help = (
        "Add a shift starting in a few minutes for a demo user (default alice.martin); the "
        "worker sends its reminder at the scanner's next tick and a handoff when it starts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default=DEMO_USERNAME, help="username (default: %(default)s)")
        parser.add_argument(
            "--minutes", type=int, default=5, help="minutes until the shift starts (default: 5)"
        )

    def handle(self, *args, user, minutes, **options):
        if not get_user_model().objects.filter(username=user).exists():
            raise CommandError(f"No user {user!r}; load the demo data first (make run).")
        shift = seed_reminder_demo(starts_in=datetime.timedelta(minutes=minutes), username=user)
        self.stdout.write(
            f"{user} is on {shift.rotation.name} from {shift.start:%Y-%m-%d %H:%M} UTC. "
            "Watch the worker's log, and the mail in var/mail/ (make run)."
        )
