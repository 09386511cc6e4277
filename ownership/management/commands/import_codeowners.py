"""Import a CODEOWNERS file: attach its path patterns and owner teams to components."""

from django.core.management.base import BaseCommand

from ownership.catalog import codeowners_import

from .import_catalog import read_input, run_import


class Command(BaseCommand):
    help = (
        "Import a CODEOWNERS file: each pattern goes to the component that has it, else to "
        "the one named by a preceding '# component: <slug>' line, else to a new component. "
        "Idempotent; a file with any error changes nothing."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help='CODEOWNERS file to import, or "-" for standard input')
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, save nothing"
        )
        parser.add_argument(
            "--org", help="accept @org/team owners of this GitHub organisation only"
        )

    def handle(self, *args, **options):
        text = read_input(options["file"], options.get("stdin"))
        run_import(self, codeowners_import, text, dry_run=options["dry_run"], org=options["org"])
