"""Signing out ends the provider's session too (RP-initiated logout), and a provider that
refuses Rota's client credentials is reported as a misconfiguration, not as unreachable.

The provider's discovery document is put in the cache, where config.discover keeps it, so no
network is needed; the browser tests run the same flows against a real provider.
"""

import pytest
import requests
from django.core.cache import cache

from portal.oidc.views import _misconfigured
from tests.ownership.factories import UserFactory

ISSUER = "https://idp.example.com"
DISCOVERY = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/authorize",
    "token_endpoint": f"{ISSUER}/token",
    "userinfo_endpoint": f"{ISSUER}/userinfo",
    "jwks_uri": f"{ISSUER}/keys",
    "end_session_endpoint": f"{ISSUER}/logout",
}


@pytest.fixture
def provider(settings):
    settings.ROTA_OIDC = {
        **settings.ROTA_OIDC,
        "CLIENT_ID": "rota",
        "CLIENT_SECRET": "s",
        "ISSUER": ISSUER,
    }

    def advertise(document):
        cache.set(f"oidc-discovery:{ISSUER}", document)

    advertise(DISCOVERY)
    yield advertise
    cache.delete(f"oidc-discovery:{ISSUER}")


def signed_in(client, *, id_token=None):
    user = UserFactory()
    client.force_login(user)
    if id_token:
        session = client.session
        session["oidc_id_token"] = id_token
        session.save()
    return user


@pytest.mark.django_db
def test_signing_out_of_a_provider_session_ends_it_at_the_provider(client, provider):
    signed_in(client, id_token="header.payload.signature")
    answer = client.post("/accounts/logout/")
    assert answer.status_code == 302
    # Worked out by hand: urlencode of the three parameters, "/" made absolute.
    assert answer["Location"] == (
        "https://idp.example.com/logout?id_token_hint=header.payload.signature&client_id=rota"
        "&post_logout_redirect_uri=http%3A%2F%2Ftestserver%2F"
    )
    assert "_auth_user_id" not in client.session  # signed out of Rota as well


@pytest.mark.django_db
def test_a_password_session_or_a_provider_without_the_endpoint_signs_out_of_rota_only(
    client, provider
):
    signed_in(client)  # a password session: no ID token
    answer = client.post("/accounts/logout/")
    assert (answer.status_code, answer["Location"]) == (302, "/")
    assert "_auth_user_id" not in client.session

    provider({k: v for k, v in DISCOVERY.items() if k != "end_session_endpoint"})
    signed_in(client, id_token="header.payload.signature")
    answer = client.post("/accounts/logout/")
    assert (answer.status_code, answer["Location"]) == (302, "/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signing_out_with_a_get_is_refused(client):
    signed_in(client)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def token_error(status: int, body: bytes) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = "application/json"
    return requests.HTTPError(f"Get Token Error (status: {status})", response=response)


@pytest.mark.parametrize(
    ("error", "misconfigured"),
    [
        (token_error(401, b'{"error": "invalid_client"}'), True),  # a wrong client secret
        (token_error(400, b'{"error": "invalid_client"}'), True),  # some answer 400
        (token_error(400, b'{"error": "unauthorized_client"}'), True),
        (token_error(400, b'{"error": "invalid_grant"}'), False),  # an expired code
        (token_error(503, b"<html>down</html>"), False),
        (requests.ConnectionError("refused"), False),
    ],
)
def test_a_refused_client_is_told_from_an_unavailable_provider(error, misconfigured):
    assert _misconfigured(error) is misconfigured
