from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = "Revoke every API token of a user (or only the one whose first characters are given)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--prefix", help="Revoke only the token starting with these characters (15 or more)."
        )

    def handle(self, *args, username, prefix=None, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        tokens = AuthToken.objects.filter(user=user)
        if prefix:
            if len(prefix) < 15:
                raise CommandError("Give at least the first 15 characters of the token.")
            tokens = tokens.filter(token_key=prefix[:15])
        count, _ = tokens.delete()
        self.stdout.write(f"Revoked {count} token(s) of {username}.")
