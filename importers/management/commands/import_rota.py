"""Import a rota YAML document written by export_rota (or by hand), in one transaction."""

from django.core.management.base import BaseCommand, CommandError

from importers.base import ImportRefused, execute
from importers.management.progress import ProgressBar
from importers.registry import get
from ownership.management.commands.import_catalog import read_input


class Command(BaseCommand):
    help = (
        "Create or update what a rota YAML document names, through the same checks as the "
        "admin. Idempotent; objects the file leaves out are kept unless --prune; a file with "
        "any error changes nothing (exit status 1). People missing from the database are "
        "created without a password."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help='the YAML document, or "-" for standard input')
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would change, save nothing"
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="also delete the objects of each section present in the file that it does "
            "not name (people are never deleted)",
        )

    def handle(self, *args, **options):
        text = read_input(options["file"], options.get("stdin"))
        new_urls = []
        importer = get("rota-yaml")
        progress = ProgressBar(importer.label, unit="object", file=self.stderr._out)
        try:
            report = execute(
                importer.run,
                text.encode("utf-8"),
                source=options["file"],
                options={
                    "prune": options["prune"],
                    # A dry run's integrations are rolled back: their URLs would not work.
                    "new_urls": None if options["dry_run"] else new_urls,
                },
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportRefused as exc:
            raise CommandError(f"{exc}; nothing was changed.") from None
        finally:
            progress.close()
        if report.problems:
            count = len(report.problems)
            raise CommandError(
                f"The file was not imported ({count} error{'s' if count != 1 else ''}); "
                "nothing was changed:\n" + "\n".join(str(p) for p in report.problems)
            )
        for line in report.details:
            self.stdout.write(("would " if report.dry_run else "") + line)
        for line in report.summary_lines():
            self.stdout.write(self.style.SUCCESS(line))
        if report.dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        for name, url in new_urls:
            self.stdout.write(
                f"New webhook URL of integration {name} (shown once, keep it secret): {url}"
            )
