import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db


def _create_token(username):
    from io import StringIO

    out = StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip()


def test_created_token_authenticates_and_is_stored_hashed():
    UserFactory(username="ci-bot")
    token = _create_token("ci-bot")

    assert len(token) >= 32
    stored = AuthToken.objects.get(user__username="ci-bot")
    assert token not in (stored.digest, stored.token_key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").status_code == 200


def test_wrong_or_missing_token_is_refused():
    UserFactory(username="ci-bot")
    token = _create_token("ci-bot")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token[:-1]}x")
    assert client.get("/api/v1/teams/").status_code == 401
    assert APIClient().get("/api/v1/teams/").status_code in (401, 403)


def test_revoked_token_stops_working():
    UserFactory(username="ci-bot")
    token = _create_token("ci-bot")
    call_command("revoke_api_tokens", "ci-bot", prefix=token[:15])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").status_code == 401


def test_token_of_a_deactivated_user_stops_working():
    user = UserFactory(username="ci-bot")
    token = _create_token("ci-bot")
    user.is_active = False
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").status_code == 401


def test_unknown_user_is_a_clear_error_that_says_how_to_create_the_user():
    with pytest.raises(CommandError) as raised:
        call_command("create_api_token", "ghost")
    assert str(raised.value).startswith(
        "No user 'ghost'. Create one with: .venv/bin/python manage.py createsuperuser "
        "--username ghost"
    )


def test_a_token_given_an_expiry_stops_working_after_it():
    import datetime

    from django.utils import timezone

    UserFactory(username="ci-bot")
    token = _create_token("ci-bot")
    AuthToken.objects.filter(user__username="ci-bot").update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").status_code == 401
    assert not AuthToken.objects.filter(user__username="ci-bot").exists()


def test_token_authentication_costs_one_query_once_its_use_is_recorded(
    django_assert_num_queries,
):
    from portal.authentication import ApiTokenAuthentication

    UserFactory(username="ci-bot")
    token = _create_token("ci-bot")
    # The first use in a minute also records it (one UPDATE); the next ones only look it up.
    with django_assert_num_queries(2):
        user, _ = ApiTokenAuthentication().authenticate_credentials(token.encode())
    assert user.username == "ci-bot"
    for _ in range(3):
        with django_assert_num_queries(1):
            ApiTokenAuthentication().authenticate_credentials(token.encode())
