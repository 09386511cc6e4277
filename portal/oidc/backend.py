"""mozilla-django-oidc's authentication backend, fed by :mod:`portal.oidc.config`."""

import logging

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import config
from .services import SignInRefused, oidc_sign_in

logger = logging.getLogger(__name__)


class OIDCBackend(OIDCAuthenticationBackend):
    """Sign in with the authorization code the provider sent to the callback view.

    Answers only the callback's call (the one with a ``nonce``): a password sign-in passes
    it by. The ID token's issuer and audience are checked besides the library's signature
    and nonce checks; the claims are the ID token's, completed by the userinfo endpoint's.
    A refused person (:class:`~portal.oidc.services.SignInRefused`) gets ``None`` and the
    reason in ``request.oidc_refusal``.
    """

    def __init__(self, *args, **kwargs):
        # The library reads every setting here; they are read when the callback needs them.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr, *args):
        return config.library_setting(attr, *args)

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not config.is_enabled():
            return None
        self.provider = config.provider()
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.provider.jwks_endpoint
        self.OIDC_RP_CLIENT_ID = self.provider.client_id
        self.OIDC_RP_CLIENT_SECRET = self.provider.client_secret
        self.OIDC_RP_SIGN_ALGO = self.provider.sign_algo
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if payload.get("iss") != self.provider.issuer:
            raise SuspiciousOperation(f"ID token issuer {payload.get('iss')!r} is not ours.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.provider.client_id not in audiences:
            raise SuspiciousOperation("ID token not issued to this client.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        # Some providers put groups in the ID token only (Entra ID): keep both.
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("Userinfo is about another subject than the ID token.")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        try:
            return oidc_sign_in(issuer=self.provider.issuer, claims=claims)
        except SignInRefused as exc:
            logger.info("sign-in refused for %s: %s", claims.get("email") or claims.get("sub"), exc)
            self.request.oidc_refusal = str(exc)
            return None

    def get_user(self, user_id):
        # Django's rule, not the library's: a disabled account loses its sessions.
        return ModelBackend.get_user(self, user_id)

    # Permissions are ModelBackend's alone (it stays in AUTHENTICATION_BACKENDS): this backend
    # only signs people in, so it answers no permission question a second time.
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False
