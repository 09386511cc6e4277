"""``manage.py check`` reports a half-configured identity provider before anyone signs in."""

from urllib.parse import urlsplit

from django.core.checks import Error, Tags, Warning, register

from . import config


@register(Tags.security)
def oidc_settings(app_configs, **kwargs):
    """Report missing or malformed ROTA_OIDC_* settings (errors) and plain HTTP (deploy)."""
    return [
        Error(message, hint="See README, Sign-in with your identity provider.", id="oidc.E001")
        for message in config.configuration_errors()
    ]


@register(Tags.security, deploy=True)
def oidc_https(app_configs, **kwargs):
    """Warn when the provider is reached over plain HTTP in production."""
    if not config.is_enabled():
        return []
    cfg = config.raw()
    plain = [
        f"ROTA_OIDC_{name}"
        for name in ("ISSUER", *config.ENDPOINTS)
        if cfg[name] and urlsplit(cfg[name]).scheme != "https"
    ]
    if not plain:
        return []
    return [
        Warning(
            f"{', '.join(plain)} not HTTPS: tokens and the client secret would cross the "
            "network in the clear.",
            id="oidc.W001",
        )
    ]
