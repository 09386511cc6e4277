"""Import bug history from Jira (CSV export) or GitHub (issues JSON)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importers.base import ImportRefused, execute
from importers.management.progress import ProgressBar
from importers.registry import get

FORMATS = {"jira": "jira-bugs", "github": "github-bugs"}


def _read(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from None


class Command(BaseCommand):
    help = (
        "Import bug history: FORMAT jira (Jira's Export → CSV (all fields)) or github (the "
        "issues list GET /repos/{owner}/{repo}/issues?state=all as JSON). Imported bugs are "
        "marked with their source and key, so a second import updates them instead of adding "
        "copies; nobody is notified. Everything is written in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", choices=sorted(FORMATS), help="jira or github")
        parser.add_argument("file", help="the exported file")
        parser.add_argument(
            "--mapping",
            help='YAML or JSON: {"components": {source name: component slug}, "severity": '
            '{priority or label: SEV1..SEV4}, "outcome": {...}, "default_component": slug}',
        )
        parser.add_argument(
            "--timezone",
            help="Jira only: the time zone of the user who exported the CSV (Jira writes "
            "local times); default the site's TIME_ZONE",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="say what would be created or updated; save nothing",
        )

    def handle(self, *args, **options):
        info = get(FORMATS[options["format"]])
        data = _read(options["file"])
        import_options = {"timezone": options["timezone"] or settings.TIME_ZONE}
        if options["mapping"]:
            import_options["mapping"] = _read(options["mapping"])
        progress = ProgressBar(info.label, unit="bug")
        try:
            report = execute(
                info.run,
                data,
                source=info.name,
                options=import_options,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportRefused as exc:
            raise CommandError(f"Nothing was imported: {exc}") from None
        finally:
            progress.close()
        if options["dry_run"] or options["verbosity"] > 1:
            for line in report.details:
                self.stdout.write(("would " if report.dry_run else "") + line)
        for line in report.summary_lines():
            failed = line.startswith("not imported")
            self.stdout.write(self.style.WARNING(line) if failed else self.style.SUCCESS(line))
