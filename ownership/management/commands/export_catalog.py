"""Export the component catalog as Backstage catalog-info.yaml entities."""

from django.core.management.base import BaseCommand

from ownership.catalog import catalog_export

from .export_codeowners import write_output


class Command(BaseCommand):
    help = (
        "Write every team (Group), area (System) and component (Component) as a "
        "catalog-info.yaml that import_catalog reads back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        write_output(self, catalog_export(), options["output"])
