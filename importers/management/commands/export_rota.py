"""Write the whole rota configuration as one YAML document (rota as code)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers.rota_yaml import ExportRefused, export_rota


class Command(BaseCommand):
    help = (
        "Export teams, components, sprint calendars, rotations, support policies, escalation "
        "delays, routing settings and alert integrations as one YAML document, without secrets "
        "(they appear as env:NAME). Import it with import_rota."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", default="-", help='file to write, or "-" for standard output'
        )

    def handle(self, *args, **options):
        try:
            text = export_rota()
        except ExportRefused as exc:
            raise CommandError(str(exc)) from None
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
