"""``import_grafana_oncall FILE [--dry-run]``: bring Grafana OnCall schedules and chains in."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers import registry
from importers.base import ImportRefused, execute
from importers.management.progress import ProgressBar
from importers.schedules.grafana_oncall import NAME


class Command(BaseCommand):
    help = (
        "Import Grafana OnCall schedules, shifts, overrides and escalation chains from one JSON "
        "bundle of its public API's answers (see README 'Schedules from Grafana OnCall'). Run "
        "with --dry-run first: it lists what would be created or updated and what cannot be "
        "mapped, and writes nothing. Everything is written in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the JSON bundle")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")

    def handle(self, *args, **options):
        info = registry.get(NAME)
        try:
            data = options["file"].read_bytes()
        except OSError as error:
            raise CommandError(
                f"Cannot read {options['file']}: {error.strerror or error}"
            ) from None
        progress = ProgressBar("Grafana OnCall", unit="schedule", file=self.stderr._out)
        try:
            report = execute(
                info.run, data, source=NAME, dry_run=options["dry_run"], progress=progress
            )
        except ImportRefused as error:
            raise CommandError(f"Nothing was imported: {error}") from None
        finally:
            progress.close()
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if report.dry_run or options["verbosity"] >= 2:
            for line in report.details:
                self.stdout.write(f"  {('would ' if report.dry_run else '') + line}")
        for line in report.summary_lines():
            failed = line.startswith(("not imported", "warning"))
            self.stdout.write(self.style.WARNING(line) if failed else self.style.SUCCESS(line))
