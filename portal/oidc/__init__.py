"""Sign-in with the organisation's identity provider (OpenID Connect, mozilla-django-oidc).

Off until ``ROTA_OIDC_CLIENT_ID`` is set (see README, *Sign-in with your identity provider*).
People are matched to accounts by the provider's subject, then by verified e-mail; the
provider's groups may grant team memberships and roles (:mod:`portal.oidc.services`).
"""
