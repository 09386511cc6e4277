"""API token authentication: knox's hashed, revocable tokens, without a sweep per request."""

from django.utils import timezone
from knox.auth import TokenAuthentication

from .tokens import api_token_used


class ApiTokenAuthentication(TokenAuthentication):
    """Authenticate ``Authorization: Token <key>`` against knox's hashed tokens.

    Knox checks every other token of the caller for expiry on each request, which costs a
    query per call. Rota's tokens never expire (they live until revoked, by deleting them),
    so only the presented token's own expiry is checked. The token's last use is recorded
    at most once a minute (``portal.tokens.api_token_used``).
    """

    def authenticate_credentials(self, token):
        user, auth_token = super().authenticate_credentials(token)
        api_token_used(digest=auth_token.digest)
        return user, auth_token

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
