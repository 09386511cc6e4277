"""Sign out of Rota, and of the identity provider too when it offers that (RP-initiated logout).

A session begun at the provider keeps its ID token (``OIDC_STORE_ID_TOKEN``). Signing out then
ends the Rota session and sends the browser to the provider's ``end_session_endpoint`` (from its
discovery document) with ``id_token_hint`` and ``post_logout_redirect_uri`` back to Rota, so
the next "Sign in with ..." asks who you are again. A password session, a provider without the
endpoint, or one that cannot be reached, signs out of Rota alone.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import resolve_url
from mozilla_django_oidc.views import OIDCLogoutView

from . import config

logger = logging.getLogger(__name__)


def provider_logout_url(request) -> str:
    """Return where the browser goes after signing out (``OIDC_OP_LOGOUT_URL_METHOD``).

    The provider's end-session URL (absolute, with ``id_token_hint``, ``client_id`` and
    ``post_logout_redirect_uri`` = Rota's ``LOGOUT_REDIRECT_URL`` made absolute) for a session
    begun at a provider that advertises one; else ``LOGOUT_REDIRECT_URL`` itself.
    """
    back = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    if not id_token or not config.is_enabled():
        return back
    try:
        provider = config.provider()
    except (config.ProviderUnavailable, ImproperlyConfigured) as exc:
        logger.warning("signing out of Rota only; the identity provider is unavailable: %s", exc)
        return back
    if not provider.end_session_endpoint:
        return back
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": provider.client_id,
            "post_logout_redirect_uri": request.build_absolute_uri(back),
        }
    )
    separator = "&" if "?" in provider.end_session_endpoint else "?"
    return f"{provider.end_session_endpoint}{separator}{query}"


class SignOut(OIDCLogoutView):
    """POST /accounts/logout/: end the Rota session, then the provider's (see the module)."""

    http_method_names = ["post"]

    # The library asks OIDC_OP_LOGOUT_URL_METHOD (settings: provider_logout_url) for the URL.
