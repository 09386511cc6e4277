"""The two steps of the sign-in: off to the provider, and back with its code.

Both answer 404 while no provider is configured. Failures come back to the sign-in page
with a message saying why; the password form there keeps working.
"""

import logging

import requests
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from . import config

logger = logging.getLogger(__name__)


def _back_to_sign_in(request, message):
    messages.error(request, message)
    return HttpResponseRedirect(reverse("login"))


def _unavailable(request, exc):
    logger.warning("identity provider unavailable: %s", exc)
    return _back_to_sign_in(
        request,
        f"{config.provider_name()} cannot be reached just now; try again in a minute, "
        "or sign in with your Rota password.",
    )


def _misconfigured(exc: requests.RequestException) -> bool:
    """Tell whether the provider refused Rota itself, not this sign-in: the token endpoint's
    401, or an OAuth error ``invalid_client`` / ``unauthorized_client`` (RFC 6749 §5.2: a
    wrong client secret or id). An expired code (``invalid_grant``) is not."""
    response = getattr(exc, "response", None)
    if response is None:
        return False
    if response.status_code == 401:
        return True
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return error in ("invalid_client", "unauthorized_client")


def _refused_rota(request, exc):
    logger.error("identity provider refused Rota's client credentials: %s", exc)
    return _back_to_sign_in(
        request,
        f"Sign-in with {config.provider_name()} is misconfigured: tell a rota admin. "
        "Meanwhile, sign in with your Rota password.",
    )


class SignInStart(OIDCAuthenticationRequestView):
    """GET /accounts/oidc/authenticate/?next=<path>: redirect to the provider's sign-in page."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    @staticmethod
    def get_settings(attr, *args):
        return config.library_setting(attr, *args)

    def get(self, request):
        if not config.is_enabled():
            raise Http404("Sign-in with an identity provider is not configured.")
        try:
            provider = config.provider()
        except config.ProviderUnavailable as exc:
            return _unavailable(request, exc)
        self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """GET /accounts/oidc/callback/?code=...&state=...: sign the person in, or say why not."""

    @staticmethod
    def get_settings(attr, *args):
        return config.library_setting(attr, *args)

    def get(self, request):
        if not config.is_enabled():
            raise Http404("Sign-in with an identity provider is not configured.")
        try:
            return super().get(request)
        except config.ProviderUnavailable as exc:
            return _unavailable(request, exc)
        except requests.RequestException as exc:
            # The token, userinfo or key endpoint failed, refused the code, or refused Rota.
            if _misconfigured(exc):
                return _refused_rota(request, exc)
            return _unavailable(request, exc)
        except SuspiciousOperation as exc:
            logger.warning("identity provider sign-in refused: %s", exc)
            return _back_to_sign_in(
                request, "The sign-in could not be checked; please start it again."
            )

    def login_failure(self):
        request = self.request
        refusal = getattr(request, "oidc_refusal", "")
        if refusal:
            return _back_to_sign_in(request, refusal)
        if request.GET.get("error"):
            code = request.GET["error"][:80]  # the provider's error code, e.g. access_denied
            return _back_to_sign_in(
                request, f"{config.provider_name()} did not sign you in ({code})."
            )
        return _back_to_sign_in(
            request, "The sign-in did not complete (it may have expired); please try again."
        )
