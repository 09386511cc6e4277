"""``import_history FORMAT FILE [--mapping FILE] [--dry-run]``: bring past incidents in."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers import registry
from importers.base import ImportRefused, execute
from importers.history.incidents import load_mapping
from importers.management.progress import ProgressBar, read_file, write_report


class Command(BaseCommand):
    help = (
        "Import the history of another tool (see README 'Moving to Rota'). Run with "
        "--dry-run first: it reports what would be created or updated and what cannot be "
        "mapped, and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", help="the importer: " + ", ".join(sorted(_history())))
        parser.add_argument("file", type=Path, help="the file the source tool exported")
        parser.add_argument(
            "--mapping",
            type=Path,
            help="YAML or JSON {source service name: component slug}",
        )
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")

    def handle(self, *args, **options):
        name = options["format"]
        if name not in _history():
            raise CommandError(
                f"Unknown format {name!r}; choose one of {', '.join(sorted(_history()))}."
            )
        info = registry.get(name)
        data = read_file(options["file"])
        mapping = {}
        if options["mapping"] is not None:
            try:
                mapping = load_mapping(read_file(options["mapping"]))
            except ImportRefused as error:
                raise CommandError(f"{options['mapping']}: {error}") from None
        progress = ProgressBar(info.label, unit="incident", file=self.stderr._out)

        try:
            report = execute(
                info.run,
                data,
                source=name,
                options={"mapping": mapping},
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportRefused as error:
            raise CommandError(f"{options['file']}: {error}") from None
        finally:
            progress.close()
        write_report(self.stdout, report, verbosity=options["verbosity"])


def _history() -> dict:
    return {name: info for name, info in registry.IMPORTERS.items() if info.kind == "history"}
