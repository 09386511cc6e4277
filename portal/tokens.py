"""Personal API tokens: create, list, revoke, and record their last use cheaply.

Tokens are knox's (hashed, revocable, never expiring in Rota); ``ApiTokenInfo`` adds a name
and the last use. The last use is written at most once per ``LAST_USED_EVERY`` per token and
process (a cache key says it was written recently), not on every request.
"""

import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from core import throttling
from core.services import version_touch

from .models import ApiAuthVersion, ApiTokenInfo

LAST_USED_EVERY = datetime.timedelta(minutes=1)
UNNAMED = "API token"


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiTokenInfo, str]:
    """Create a personal token named ``name`` for ``user``; return it and its secret key.

    The key is returned this once: only its hash is stored. Raise ``ValidationError`` (on
    ``name``) for an empty name, one over 100 characters or one the user already has.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the tool that will use it."})
    if ApiTokenInfo.objects.filter(token__user=user, name=name).exists():
        raise ValidationError({"name": f"You already have a token named {name!r}."})
    token, key = AuthToken.objects.create(user=user)
    info = ApiTokenInfo(token=token, name=name)
    info.full_clean()
    info.save()
    return info, key


def api_tokens_of(*, user):
    """Return the user's tokens (``ApiTokenInfo`` with its token), newest first.

    Tokens made without a name (knox's own admin, older versions of Rota) are given the
    name "API token" here, so that every token can be listed and revoked.
    """
    unnamed = AuthToken.objects.filter(user=user, info__isnull=True)
    ApiTokenInfo.objects.bulk_create(
        [ApiTokenInfo(token=token, name=UNNAMED) for token in unnamed], ignore_conflicts=True
    )
    return ApiTokenInfo.objects.filter(token__user=user).select_related("token")


def api_token_revoke(*, user, token_id: int) -> None:
    """Revoke ``user``'s token ``token_id`` at once.

    Raise ``ApiTokenInfo.DoesNotExist`` when the user has no such token (someone else's
    included: whether it exists is not told).
    """
    info = ApiTokenInfo.objects.select_related("token").get(pk=token_id, token__user=user)
    info.token.delete()  # cascades to the info row; token_deleted replaces the auth tag


def api_token_used(*, digest: str, now=None) -> None:
    """Record that the token with this digest was used, unless recorded lately.

    At most one write per ``LAST_USED_EVERY`` per token in each process: the cache key is
    added first, and only the process that added it writes, and vouches for the token to the
    rate limits (``core.throttling.vouch``: its address's refused credentials do not stop it).
    """
    if not cache.add(f"api-token-used:{digest}", True, LAST_USED_EVERY.total_seconds()):
        return
    throttling.vouch(throttling.ident_of_digest(digest))
    now = now or timezone.now()
    ApiTokenInfo.objects.filter(token_id=digest).update(last_used_at=now)


def api_auth_touch() -> None:
    """Replace the API authentication tag: every process's hot path forgets the tokens it
    authenticated within its check interval (``portal.hotpath``). Call it in the transaction
    of the change."""
    version_touch(ApiAuthVersion, field="tag")


def token_deleted(sender, instance, **kwargs) -> None:
    """``post_delete`` receiver of knox's AuthToken: a revoked token is refused everywhere.

    A receiver rather than a call in each service: tokens also go through knox's own views,
    the admin and the cascade of a user's deletion, and each must reach every process.
    """
    throttling.unvouch(throttling.ident_of_digest(instance.digest))
    api_auth_touch()


def user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """``post_save`` receiver of the user model: a deactivated user's tokens stop working.

    Only saves that may have set ``is_active`` to False count (a sign-in saves
    ``last_login`` alone), so the tag does not change at every sign-in.
    """
    if instance.is_active:
        return
    if update_fields is None or "is_active" in update_fields:
        api_auth_touch()
