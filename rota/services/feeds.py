"""Calendar feed tokens: create, regenerate and resolve the secret URLs.

A feed URL ends in ``<key><mac>.ics``: ``key`` is 128 random bits stored in the database,
``mac`` is 128 bits of HMAC-SHA256 of the key under ``ROTA_FEED_SECRET`` (by default the
Django secret key; old secrets in ``SECRET_KEY_FALLBACKS`` still verify). A guessed or leaked
key is useless without the secret, the comparison is constant-time, and regenerating a token
replaces the key so the old URL stops working at once.
"""

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Subquery

from ownership.models import CatalogVersion

from ..models import FeedToken, RotaVersion

KEY_CHARS = 32
MAC_CHARS = 32
TOKEN_RE = re.compile(rf"^[0-9a-f]{{{KEY_CHARS + MAC_CHARS}}}$")


def _secrets() -> list[bytes]:
    configured = getattr(settings, "ROTA_FEED_SECRET", "") or ""
    if configured:
        values = [configured, *getattr(settings, "ROTA_FEED_SECRET_FALLBACKS", [])]
    else:
        values = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [v.encode() for v in values if v]


def _mac(key: str, secret: bytes) -> str:
    return hmac.new(secret, f"rota.feed:{key}".encode(), hashlib.sha256).hexdigest()[:MAC_CHARS]


def feed_token_string(token: FeedToken) -> str:
    """The secret part of the token's URL (without .ics)."""
    return token.key + _mac(token.key, _secrets()[0])


def feed_token_get_or_create(*, user, kind=FeedToken.Kind.PERSON, team=None, rotation=None):
    """Return the user's token for this feed, creating it on first use."""
    lookup = {"user": user, "kind": kind, "team": team, "rotation": rotation}
    token = FeedToken.objects.filter(**lookup).first()
    if token is not None:
        return token
    token = FeedToken(key=secrets.token_hex(KEY_CHARS // 2), **lookup)
    token.full_clean(exclude=["key"])
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:
        # Created by a concurrent request for the same feed: use that one.
        return FeedToken.objects.get(**lookup)
    return token


@transaction.atomic
def feed_token_regenerate(*, token: FeedToken) -> FeedToken:
    """Give the token a new key; the old URL stops working at once."""
    token.key = secrets.token_hex(KEY_CHARS // 2)
    token.save(update_fields=["key"])
    return token


def feed_token_resolve(value: str) -> FeedToken | None:
    """Return the live token a URL names, or None (unknown, forged, or owner deactivated).

    One query. The token comes with ``version_tags``: the (rota, catalog) version tags read
    in the same query, as ``rota.routing.versions()`` gives them.
    """
    if not isinstance(value, str) or not TOKEN_RE.match(value):
        return None
    key, mac = value[:KEY_CHARS], value[KEY_CHARS:]
    # Check the MAC before touching the database: forged URLs cost no query.
    if not any(hmac.compare_digest(mac, _mac(key, secret)) for secret in _secrets()):
        return None
    token = (
        # With the owner's preferences, which say whether the feed shows them busy, and the
        # rota and catalog version tags the feed's cached fingerprint is kept under: a
        # feed that has not changed is answered from this one query.
        FeedToken.objects.select_related(
            "user", "user__notification_preference", "team", "rotation", "rotation__team"
        )
        .annotate(
            rota_tag=Subquery(RotaVersion.objects.filter(pk=1).values("tag")),
            catalog_tag=Subquery(CatalogVersion.objects.filter(pk=1).values("version")),
        )
        .filter(key=key)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    token.version_tags = (token.rota_tag, token.catalog_tag)
    return token
