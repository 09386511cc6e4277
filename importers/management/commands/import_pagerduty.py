"""``import_pagerduty FILE... [--team SLUG] [--mapping FILE] [--dry-run]``: schedules in."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers import registry
from importers.base import ImportRefused, execute
from importers.management.progress import ProgressBar
from importers.schedules.pagerduty import NAME, read_mapping
from importers.schedules.pagerduty_api import FetchFailed, fetch_bundle


class Command(BaseCommand):
    help = (
        "Import PagerDuty schedules (one rotation per layer), their overrides and the "
        "escalation delays of the policies paging them, from the JSON of PagerDuty's API: "
        "a bundle, or raw responses given as several files (README 'Schedules from "
        "PagerDuty'). Run with --dry-run first: it lists what would change and what cannot "
        "be mapped, and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path, help="JSON files saved from the API")
        parser.add_argument("--team", help="slug of the Rota team every schedule belongs to")
        parser.add_argument(
            "--mapping",
            type=Path,
            help='YAML or JSON {"teams": {schedule name or id: team slug}, '
            '"support_policies": {escalation policy name or id: support policy name}}',
        )
        parser.add_argument(
            "--from-api",
            nargs="+",
            metavar="SCHEDULE_ID",
            help="fetch these schedules from PagerDuty (token in PAGERDUTY_TOKEN) instead",
        )
        parser.add_argument("--api-host", default="api.pagerduty.com", help="PagerDuty API host")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")

    def handle(self, *args, **options):
        documents = [json_of(path) for path in options["files"]]
        if options["from_api"]:
            token = os.environ.get("PAGERDUTY_TOKEN", "")
            if not token:
                raise CommandError("--from-api needs an API token in PAGERDUTY_TOKEN.")
            try:
                documents.append(
                    fetch_bundle(
                        schedule_ids=options["from_api"], token=token, host=options["api_host"]
                    )
                )
            except FetchFailed as error:
                raise CommandError(f"Nothing was imported: {error}") from None
        if not documents:
            raise CommandError("Give the JSON files, or --from-api SCHEDULE_ID.")
        try:
            mapping = read_mapping(read(options["mapping"]) if options["mapping"] else None)
        except ImportRefused as error:
            raise CommandError(f"{options['mapping']}: {error}") from None
        data = json.dumps(documents).encode()
        progress = ProgressBar("PagerDuty", unit="object", file=self.stderr._out)
        try:
            report = execute(
                registry.get(NAME).run,
                data,
                source=NAME,
                options={"team": options["team"], "mapping": mapping},
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


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None


def json_of(path: Path):
    try:
        return json.loads(read(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: not valid JSON: {exc}") from None
