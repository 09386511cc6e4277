"""Import leave or public holidays from an iCalendar file or URL, printing what was skipped."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ownership.models import Team
from rota.models import Unavailability
from rota.services import unavailability_import_ics


class Command(BaseCommand):
    help = (
        "Import the events of an .ics file or URL as a person's leave or a team's leave or "
        "public holidays; safe to repeat. Skipped events are printed with their reasons."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="A path to an .ics file, or an http(s)/webcal URL.")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--user", help="Whose leave it is (username).")
        owner.add_argument("--team", help="The team whose leave or holidays these are (slug).")
        parser.add_argument(
            "--kind", choices=Unavailability.Kind.values, default=Unavailability.Kind.LEAVE
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Delete entries imported before from the same calendar whose events are gone.",
        )
        parser.add_argument(
            "--calendar",
            default="",
            help="Which calendar this is (default: the URL, else the file's X-WR-CALNAME).",
        )

    def handle(self, *args, source, user=None, team=None, kind, prune, calendar="", **options):
        owner = {}
        if user is not None:
            owner["user"] = get_user_model().objects.filter(username=user).first()
            if owner["user"] is None:
                raise CommandError(f"No user {user!r}.")
        else:
            owner["team"] = Team.objects.filter(slug=team).first()
            if owner["team"] is None:
                raise CommandError(f"No team {team!r}.")
        if "://" in source:
            where = {"url": source}
        else:
            try:
                where = {"data": Path(source).read_bytes()}
            except OSError as exc:
                raise CommandError(f"Cannot read {source}: {exc.strerror}.") from exc
        try:
            result = unavailability_import_ics(
                **where, **owner, kind=kind, prune=prune, calendar=calendar
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"{result.created} created, {result.updated} updated, {result.unchanged} "
            f"unchanged, {result.deleted} deleted, {len(result.skipped)} skipped."
        )
        for event in result.skipped:
            where = f"line {event.line}" if event.line is not None else "line ?"
            name = event.uid or "(no UID)"
            self.stdout.write(f"  skipped {where} {name} {event.summary!r}: {event.reason}")
