"""Load the demo organisation: teams, people, a component catalog and its ownership history."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.demo import seed as demo

WARNING = (
    "These are demo credentials, published with the source code. Never load the demo data "
    "into a database that anyone else can reach."
)


class Command(BaseCommand):
    help = (
        "Load a demo organisation (teams, people, a component catalog with a re-org in its "
        "ownership history) into an empty database, and print the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when the database already holds teams, components "
            "or demo users (make run uses this).",
        )
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="Only print the demo logins present in the database, and change nothing.",
        )

    def handle(self, *args, if_empty=False, print_logins=False, **options):
        if print_logins:
            self.print_logins()
            return
        found = demo.existing_data()
        if found:
            message = (
                f"The database is not empty ({'; '.join(found)}). "
                "The demo data only loads into an empty database"
            )
            if if_empty:
                self.stdout.write(f"{message}; leaving it as it is.")
                return
            raise CommandError(
                f"{message}. Point DATABASE_URL at a new database, or pass --if-empty to skip."
            )
        verbose = options["verbosity"] >= 1

        def log(line):
            if verbose:
                self.stdout.write(f"  {line}")

        seeded = demo.seed_all(log=log)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo organisation: {len(seeded.teams)} teams, "
                f"{len(seeded.users)} people, {len(seeded.components)} components."
            )
        )
        self.print_logins()

    def print_logins(self):
        """Print the demo logins that exist in this database, with a warning."""
        present = set(
            get_user_model()
            .objects.filter(username__in=[username for username, _ in demo.DEMO_LOGINS])
            .values_list("username", flat=True)
        )
        rows = [(u, demo.DEMO_PASSWORD, role) for u, role in demo.DEMO_LOGINS if u in present]
        if not rows:
            self.stdout.write("No demo logins in this database.")
            return
        header = ("username", "password", "role")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]
        self.stdout.write("Demo logins:")
        for username, password, role in [header, *rows]:
            self.stdout.write(f"  {username:<{widths[0]}}  {password:<{widths[1]}}  {role}")
        self.stdout.write(self.style.WARNING(f"WARNING: {WARNING}"))
