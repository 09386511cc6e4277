"""Export the catalog's path patterns and owner teams as a CODEOWNERS file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ownership.catalog import codeowners_export


def write_output(command, text, output):
    """Write the text to the named file, or to standard output when no file is named."""
    if not output or output == "-":
        command.stdout.write(text, ending="")
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from None
    command.stderr.write(f"Wrote {output}.")


class Command(BaseCommand):
    help = (
        "Write CODEOWNERS: one section per component (ordered by slug), each pattern owned "
        "by the component's effective owner team as @<org>/<team-slug>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument(
            "--org", default="org", help='GitHub organisation of the teams (default "org")'
        )

    def handle(self, *args, **options):
        write_output(self, codeowners_export(org=options["org"]), options["output"])
