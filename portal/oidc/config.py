"""The identity provider's settings: read from ``settings.ROTA_OIDC``, endpoints discovered.

Nothing here runs at import time: the settings are read, and the provider's discovery
document fetched (then cached for an hour), when someone signs in.
"""

import json
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from mozilla_django_oidc.utils import import_from_settings

from ownership.models import Membership

ROTA_ADMIN = "rota_admin"
ROLE_RANK = {  # a person in two groups for one team gets the higher role
    Membership.Role.ENGINEER: 0,
    Membership.Role.LEAD: 1,
    Membership.Role.MANAGER: 2,
}
DISCOVERY_TTL = 60 * 60  # seconds
DISCOVERY_TIMEOUT = 10  # seconds, also for the token, userinfo and key requests
ENDPOINTS = ("AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "USERINFO_ENDPOINT", "JWKS_ENDPOINT")


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read (network, HTTP error, bad JSON)."""


@dataclass(frozen=True)
class Provider:
    """Everything the sign-in needs from one provider; endpoints are absolute URLs."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    sign_algo: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_endpoint: str
    end_session_endpoint: str = ""  # RP-initiated logout; empty when not advertised


@dataclass(frozen=True)
class Grant:
    """What one provider group gives: a role in a team (by slug), or rota admin."""

    team: str = ""
    role: str = ""
    rota_admin: bool = False


def raw() -> dict:
    return settings.ROTA_OIDC


def is_enabled() -> bool:
    """Tell whether sign-in with the provider is configured (a client id is set)."""
    return bool(raw()["CLIENT_ID"])


def provider_name() -> str:
    """Return the provider's name for the sign-in button, e.g. "Okta"."""
    return raw()["PROVIDER_NAME"] or "your organisation's account"


def configuration_errors() -> list[str]:
    """Return what is wrong with the settings, one sentence each (empty: fine or off)."""
    cfg = raw()
    if not cfg["CLIENT_ID"]:
        return []
    errors = []
    if not cfg["CLIENT_SECRET"]:
        errors.append("ROTA_OIDC_CLIENT_SECRET is empty; set it in the environment.")
    missing = [name for name in ENDPOINTS if not cfg[name]]
    if missing and not cfg["ISSUER"]:
        errors.append(
            "Set ROTA_OIDC_ISSUER (its endpoints are then discovered) or every one of "
            + ", ".join(f"ROTA_OIDC_{name}" for name in missing)
            + "."
        )
    errors.extend(group_mapping_errors())
    return errors


def discover(issuer: str) -> dict:
    """Return the provider's discovery document (``<issuer>/.well-known/openid-configuration``).

    Raises ``ProviderUnavailable`` when it cannot be read. Cached for an hour.
    """
    key = f"oidc-discovery:{issuer}"
    document = cache.get(key)
    if document is not None:
        return document
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=DISCOVERY_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    cache.set(key, document, DISCOVERY_TTL)
    return document


def provider() -> Provider:
    """Return the configured provider, its missing endpoints read from discovery.

    Raises ``ImproperlyConfigured`` when sign-in with a provider is off or misconfigured, and
    ``ProviderUnavailable`` when the discovery document is needed but cannot be read.
    """
    errors = configuration_errors()
    if not is_enabled() or errors:
        raise ImproperlyConfigured(" ".join(errors) or "ROTA_OIDC_CLIENT_ID is not set.")
    cfg = raw()
    endpoints = {name: cfg[name] for name in ENDPOINTS}
    issuer = cfg["ISSUER"]
    end_session = ""
    if not all(endpoints.values()):
        document = discover(issuer)
        discovered = {
            "AUTHORIZATION_ENDPOINT": document.get("authorization_endpoint", ""),
            "TOKEN_ENDPOINT": document.get("token_endpoint", ""),
            "USERINFO_ENDPOINT": document.get("userinfo_endpoint", ""),
            "JWKS_ENDPOINT": document.get("jwks_uri", ""),
        }
        endpoints = {name: endpoints[name] or discovered[name] for name in ENDPOINTS}
        issuer = document.get("issuer") or issuer
        end_session = str(document.get("end_session_endpoint") or "")
        if not all(endpoints.values()):
            raise ProviderUnavailable(f"{cfg['ISSUER']}: the discovery document lacks endpoints")
    return Provider(
        name=provider_name(),
        issuer=issuer,
        client_id=cfg["CLIENT_ID"],
        client_secret=cfg["CLIENT_SECRET"],
        scopes=cfg["SCOPES"],
        sign_algo=cfg["SIGN_ALGO"],
        authorization_endpoint=endpoints["AUTHORIZATION_ENDPOINT"],
        token_endpoint=endpoints["TOKEN_ENDPOINT"],
        userinfo_endpoint=endpoints["USERINFO_ENDPOINT"],
        jwks_endpoint=endpoints["JWKS_ENDPOINT"],
        end_session_endpoint=end_session,
    )


def library_setting(attr: str, *default):
    """Answer mozilla-django-oidc's ``OIDC_*`` settings from the configured provider.

    The provider's endpoints and client come from :func:`provider`; every other setting from
    Django's settings as usual. Raises as :func:`provider` does.
    """
    dynamic = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_endpoint",
        "OIDC_RP_CLIENT_ID": "client_id",
        "OIDC_RP_CLIENT_SECRET": "client_secret",
        "OIDC_RP_SCOPES": "scopes",
        "OIDC_RP_SIGN_ALGO": "sign_algo",
    }
    if attr in dynamic:
        return getattr(provider(), dynamic[attr])
    return import_from_settings(attr, *default)


def group_mapping() -> dict[str, list[Grant]]:
    """Parse ``ROTA_OIDC_GROUPS``: provider group name -> what it grants.

    The setting is a JSON object; each value is ``"rota_admin"``, ``{"team": "<slug>",
    "role": "manager" | "lead" | "engineer"}`` (role defaults to engineer) or a list of these.
    Raises ``ImproperlyConfigured`` naming every group whose value is wrong, one a line.
    """
    mapping, errors = _parse_groups()
    if errors:
        raise ImproperlyConfigured("\n".join(errors))
    return mapping


def group_mapping_errors() -> list[str]:
    """Return one sentence for each wrong entry of ``ROTA_OIDC_GROUPS`` (empty: fine)."""
    return _parse_groups()[1]


def _parse_groups() -> tuple[dict[str, list[Grant]], list[str]]:
    text = raw()["GROUPS"]
    if not text.strip():
        return {}, []
    try:
        data = json.loads(text)
    except ValueError as exc:
        return {}, [f"ROTA_OIDC_GROUPS is not valid JSON: {exc}"]
    if not isinstance(data, dict):
        return {}, ["ROTA_OIDC_GROUPS must be a JSON object: group -> grant."]
    mapping, errors = {}, []
    for group, value in data.items():
        items = value if isinstance(value, list) else [value]
        grants = []
        for item in items:
            try:
                grants.append(_grant(group, item))
            except ImproperlyConfigured as exc:
                errors.append(str(exc))
        mapping[group] = grants
    return mapping, errors


def _grant(group: str, item) -> Grant:
    if item == ROTA_ADMIN:
        return Grant(rota_admin=True)
    if isinstance(item, dict) and set(item) <= {"team", "role"} and item.get("team"):
        role = item.get("role", Membership.Role.ENGINEER)
        if role not in Membership.Role.values:
            raise ImproperlyConfigured(
                f"ROTA_OIDC_GROUPS[{group!r}]: role {role!r} is not one of "
                f"{', '.join(Membership.Role.values)}."
            )
        return Grant(team=str(item["team"]), role=role)
    raise ImproperlyConfigured(
        f'ROTA_OIDC_GROUPS[{group!r}]: expected "rota_admin" or '
        f'{{"team": "<slug>", "role": "manager|lead|engineer"}}, got {json.dumps(item)}.'
    )
