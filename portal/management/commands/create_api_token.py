from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Create a personal API token for a user and print it. Only a hash is stored: "
        "the token cannot be shown again. Use it as 'Authorization: Token <token>'. "
        "People make their own at /me/tokens/ or POST /api/v1/me/tokens/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name",
            default="create_api_token",
            help="What the token is for, as its owner sees it listed (default: %(default)s).",
        )

    def handle(self, *args, username, name, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"No user {username!r}. Create one with: .venv/bin/python manage.py "
                f"createsuperuser --username {username} (or add a user in the admin, "
                "Users › Add user), then run this again."
            ) from None
        if not user.is_active:
            raise CommandError(f"{username} is deactivated; tokens are refused for them.")
        if name == "create_api_token":
            # Several tokens made without a name must still be told apart in the list.
            taken = user.auth_token_set.filter(info__name__startswith=name).count()
            name = f"{name} {taken + 1}" if taken else name
        try:
            _, token = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(token)
