"""``import_schedule FORMAT FILE [--mapping FILE] [--option KEY=VALUE]... [--dry-run]``.

Bring another tool's on-call schedule in as shifts; any importer of kind "schedule" runs here.
The explicit ``--rotation``, ``--team``, ``--role``, ``--timezone``, ``--from`` and ``--until``
are options like ``--option rotation=...``; an importer refuses options it does not know.
"""

from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from importers import registry
from importers.base import ImportRefused, execute
from importers.management.progress import ProgressBar, read_file, write_report

NAMED_OPTIONS = ("rotation", "team", "role", "timezone", "from", "until")


class Command(BaseCommand):
    help = (
        "Import an on-call schedule from another tool as shifts of a Rota rotation (see "
        "README 'Moving to Rota'). Run with --dry-run first: it reports what would be "
        "created, updated or deleted and what cannot be imported, and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", help="the importer: " + ", ".join(sorted(_schedules())))
        parser.add_argument("file", type=Path, help="the file the source tool exported")
        parser.add_argument(
            "--mapping", type=Path, help="YAML or JSON {name in the source: username or e-mail}"
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an importer's option (repeat for several)",
        )
        parser.add_argument("--rotation", help="the rotation's name (found, or created)")
        parser.add_argument("--team", help="the team's slug (to create the rotation)")
        parser.add_argument("--role", choices=["primary", "secondary"], help="a new rotation's")
        parser.add_argument("--timezone", help="a new rotation's IANA zone (default the team's)")
        parser.add_argument("--from", dest="from", help="window start: ISO date or date-time")
        parser.add_argument("--until", help="window end (excluded): ISO date or date-time")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")

    def handle(self, *args, **options):
        name = options["format"]
        if name not in _schedules():
            raise CommandError(
                f"Unknown format {name!r}; choose one of {', '.join(sorted(_schedules()))}."
            )
        info = registry.get(name)
        data = read_file(options["file"])
        given = {}
        for item in options["option"]:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--option {item!r}: give KEY=VALUE.")
            given[key.strip()] = value.strip()
        for key in NAMED_OPTIONS:
            if options[key] is not None:
                given[key] = options[key]
        given["mapping"] = {}
        if options["mapping"] is not None:
            given["mapping"] = _mapping(options["mapping"])
        progress = ProgressBar(info.label, unit="shift", file=self.stderr._out)

        try:
            report = execute(
                info.run,
                data,
                source=name,
                options=given,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportRefused as error:
            raise CommandError(f"{options['file']}: {error}") from None
        finally:
            progress.close()
        write_report(self.stdout, report, verbosity=options["verbosity"])


def _schedules() -> dict:
    return {name: info for name, info in registry.IMPORTERS.items() if info.kind == "schedule"}


def _mapping(path: Path) -> dict[str, str]:
    """Read a YAML or JSON ``{name in the source: username or e-mail}`` file."""
    try:
        mapping = yaml.safe_load(read_file(path)) or {}
    except yaml.YAMLError as error:
        raise CommandError(f"{path}: not YAML or JSON ({error})") from None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str | int) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise CommandError(f"{path}: give one line per name: <name in the source>: <username>")
    return {str(k): v for k, v in mapping.items()}
