"""Generate (or extend) shifts: every active rotation, or one, up to a date or the horizon."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rota.models import Rotation
from rota.services import rotation_regenerate, rotations_extend_all


class Command(BaseCommand):
    help = "Create the missing shifts of the rota up to --until (default: each horizon)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--until", type=datetime.date.fromisoformat, help="Last day to cover (YYYY-MM-DD)."
        )
        parser.add_argument("--rotation", type=int, help="Only this rotation (id).")

    def handle(self, *args, until=None, rotation=None, **options):
        if rotation is None and until is None:
            created = rotations_extend_all()
            self.stdout.write(f"Created {created} shift(s).")
            return
        rotations = Rotation.objects.filter(active=True)
        if rotation is not None:
            rotations = Rotation.objects.filter(pk=rotation)
            if not rotations.exists():
                raise CommandError(f"No rotation with id {rotation}.")
        total = 0
        for item in rotations.order_by("kind", "id"):
            try:
                result = rotation_regenerate(rotation=item, until=until)
            except ValidationError as exc:
                raise CommandError(f"{item}: {'; '.join(exc.messages)}") from exc
            total += result.created
            self.stdout.write(
                f"{item}: {result.created} created, {result.updated} updated, "
                f"{result.deleted} deleted, {len(result.conflicts)} conflict(s)"
            )
        self.stdout.write(f"Created {total} shift(s).")
