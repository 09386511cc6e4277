"""Writes to alert integrations: creation, edits and secret URL tokens."""

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.services import apply_fields

from ..exceptions import UnknownIntegration
from ..models import Integration
from ..security import hash_token, new_token, token_matches
from ._rows import rows

FIELDS = (
    "name",
    "kind",
    "component",
    "signing_secret",
    "resolve_on_alert_resolved",
    "grouping",
    "default_severity",
    "rate_limit_per_minute",
    "active",
)


def integration_url(token: str) -> str:
    """Return the full webhook URL for a token."""
    try:
        path = reverse("alert-webhook", kwargs={"token": token})
    except NoReverseMatch:
        path = f"/api/v1/integrations/{token}/alerts/"
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def integration_create(*, by=None, **data) -> tuple[Integration, str]:
    """Create an integration; return it with its webhook URL (shown this once, then hashed)."""
    integration = Integration(created_by=by)
    apply_fields(integration, FIELDS, data)
    token = new_token()
    integration.token_hash = hash_token(token)
    integration.token_rotated_at = timezone.now()
    integration.full_clean()
    integration.save()
    return integration, integration_url(token)


@transaction.atomic
def integration_update(*, integration: Integration, **data) -> Integration:
    """Change an integration's settings (the token changes only by regeneration)."""
    # Saved whatever apply_fields reports: the admin hands in the instance its form already
    # changed, so "nothing changed" would drop the edit (hence not model_update).
    apply_fields(integration, FIELDS, data)
    integration.full_clean()
    integration.save()
    return integration


@transaction.atomic
def integration_regenerate(*, integration: Integration) -> str:
    """Give the integration a new secret URL; the old one stops working at once."""
    token = new_token()
    integration.token_hash = hash_token(token)
    integration.token_rotated_at = timezone.now()
    integration.save(update_fields=["token_hash", "token_rotated_at", "updated_at"])
    return integration_url(token)


def integration_for_token(*, token: str) -> Integration:
    """Return the integration a URL token belongs to, or raise UnknownIntegration.

    Rows are found by the token's SHA-256 (never by the token itself), and the hash is
    compared again in constant time.
    """
    if not token or len(token) > 200:
        raise UnknownIntegration("No integration has this URL.")
    digest = hash_token(token)
    # Every alert request runs this: built by hand (see ``_rows``), without the component
    # (read only when an incident is opened).
    found = rows(
        Integration,
        fields=[field.name for field in Integration._meta.concrete_fields],
        where=[("token_hash", "=", digest)],
    )
    integration = found[0] if found else None
    if integration is None or not token_matches(token, integration.token_hash):
        raise UnknownIntegration("No integration has this URL.")
    return integration
