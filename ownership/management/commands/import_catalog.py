"""Import Backstage catalog-info.yaml entities into the component catalog."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ownership.catalog import CatalogImportError, catalog_import


def read_input(name, stdin=None) -> str:
    """Return the text of the named file, or of standard input for "-"."""
    if name == "-":
        return (stdin or sys.stdin).read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{name} is not a UTF-8 text file.") from None


def run_import(command, importer, text, **kwargs):
    """Run an import, print its report, and turn its errors into a CommandError."""
    try:
        report = importer(text=text, **kwargs)
    except CatalogImportError as exc:
        count = len(exc.errors)
        raise CommandError(
            f"The file was not imported ({count} error{'s' if count != 1 else ''}); "
            "nothing was changed:\n" + "\n".join(exc.errors)
        ) from None
    *lines, summary = report.lines()
    for line in lines:
        command.stdout.write(line)
    command.stdout.write(command.style.SUCCESS(summary))


class Command(BaseCommand):
    help = (
        "Import teams (Group), areas (System) and components (Component) from a Backstage "
        "catalog-info.yaml file. Idempotent; a file with any error changes nothing."
    )
    # Lets call_command(..., stdin=...) feed the "-" input, as tests and scripts do.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help='catalog-info.yaml to import, or "-" for standard input')
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, save nothing"
        )

    def handle(self, *args, **options):
        text = read_input(options["file"], options.get("stdin"))
        run_import(self, catalog_import, text, dry_run=options["dry_run"])
