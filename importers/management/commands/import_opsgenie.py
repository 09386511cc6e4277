"""``import_opsgenie FILE... [--dry-run]``: Opsgenie teams, schedules and escalations in."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers import registry
from importers.base import ImportRefused, execute
from importers.management.progress import ProgressBar
from importers.schedules.opsgenie import NAME


class Command(BaseCommand):
    help = (
        "Import Opsgenie teams, schedules (one rotation per Opsgenie rotation), their overrides "
        "and the escalation delays, from the JSON of Opsgenie's API: a bundle, or the raw "
        "responses as several files (README 'Schedules from Opsgenie'). Run with --dry-run "
        "first: it lists what would change and what cannot be mapped, and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="JSON files saved from the API")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")

    def handle(self, *args, **options):
        documents = [_json_of(path) for path in options["files"]]
        data = json.dumps(documents).encode()
        progress = ProgressBar("Opsgenie", unit="rotation", file=self.stderr._out)
        try:
            report = execute(
                registry.get(NAME).run,
                data,
                source=NAME,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportRefused as error:
            raise CommandError(f"Nothing was imported: {error}") from None
        finally:
            progress.close()
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if report.dry_run or options["verbosity"] >= 2:
            for line in report.details:
                self.stdout.write(f"  {line}")
        for line in report.summary_lines():
            failed = line.startswith(("not imported", "warning"))
            self.stdout.write(self.style.WARNING(line) if failed else line)


def _json_of(path: Path):
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: not valid JSON: {exc}") from None
