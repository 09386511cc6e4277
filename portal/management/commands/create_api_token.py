from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = (
        "Create a personal API token for a user and print it. Only a hash is stored: "
        "the token cannot be shown again. Use it as 'Authorization: Token <token>'."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{username} is deactivated; tokens are refused for them.")
        _, token = AuthToken.objects.create(user=user)
        self.stdout.write(token)
