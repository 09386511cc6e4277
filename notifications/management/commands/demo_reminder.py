"""Give a demo user a shift that starts in a few minutes, to watch the reminders arrive."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.demo import DEMO_USERNAME, reminder_demo_rearm, seed_reminder_demo


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
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="Add a shift only when no demo shift is still waiting for its reminder, and "
            "say when the reminder is due; on a database without the demo, say so and succeed "
            "(make run uses this at every start).",
        )

    def handle(self, *args, user, minutes, if_needed=False, **options):
        if if_needed:
            self.rearm(user)
            return
        if not get_user_model().objects.filter(username=user).exists():
            raise CommandError(f"No user {user!r}; load the demo data first (make run).")
        shift = seed_reminder_demo(starts_in=datetime.timedelta(minutes=minutes), username=user)
        self.stdout.write(
            f"{user} is on {shift.rotation.name} from {shift.start:%Y-%m-%d %H:%M} UTC. "
            "Watch the worker's log, and the mail in var/mail/ (make run)."
        )

    def rearm(self, user):
        now = timezone.now()
        try:
            shift, due = reminder_demo_rearm(now=now, username=user)
        except LookupError:
            self.stdout.write("No demo reminder: this database does not hold the demo.")
            return
        when = (
            "about a minute after start-up"
            if due <= now + datetime.timedelta(minutes=1)
            else f"at {due:%Y-%m-%d %H:%M} UTC"
        )
        self.stdout.write(
            f"{user}'s demo reminder (for the {shift.rotation.name} shift at "
            f"{shift.start:%Y-%m-%d %H:%M} UTC) arrives in var/mail/ {when}."
        )
