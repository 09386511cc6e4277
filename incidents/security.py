"""Webhook secrets: URL tokens, request signatures and per-integration rate limits."""

import hashlib
import hmac
import secrets
import time

from core.throttling import count_in_window

from .exceptions import BadSignature, RateLimited, StaleTimestamp

TOKEN_BYTES = 32  # 256 random bits
TIMESTAMP_HEADER = "X-Rota-Timestamp"
SIGNATURE_HEADER = "X-Rota-Signature"
MAX_SKEW_SECONDS = 5 * 60
# Headers never written to the inbox: they carry credentials or let a reader forge requests.
SECRET_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
    SIGNATURE_HEADER.lower(),
}


def new_token() -> str:
    """Return a fresh URL token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Compare a presented token with a stored hash in constant time."""
    return hmac.compare_digest(hash_token(token), token_hash)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(*, secret: str, headers, body: bytes, now: float | None = None) -> None:
    """Refuse a request whose HMAC-SHA256 signature or timestamp is missing, wrong or stale.

    The signed message is ``<timestamp>.<body>``; the timestamp must be within five minutes
    of the server's clock, so a captured request cannot be replayed later.
    """
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        raise BadSignature(
            f"This integration signs its requests: send {TIMESTAMP_HEADER} (Unix seconds) and "
            f"{SIGNATURE_HEADER} (sha256=HMAC-SHA256 of '<timestamp>.<body>' in hex)."
        )
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be Unix seconds.") from None
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise BadSignature("The signature does not match the body and timestamp.")
    now = time.time() if now is None else now
    if abs(now - sent) > MAX_SKEW_SECONDS:
        raise StaleTimestamp(
            f"The timestamp is {int(abs(now - sent))} seconds away from the server's clock; "
            f"at most {MAX_SKEW_SECONDS} are accepted."
        )


def check_rate(*, integration_id: int, limit: int, now: float | None = None) -> None:
    """Count a request against the integration's per-minute budget; refuse beyond it.

    A fixed one-minute window in the shared cache, counted like the API's rate limits
    (:func:`core.throttling.count_in_window`): cheap, and enough to stop a misconfigured sender
    from flooding the database.
    """
    now = time.time() if now is None else now
    count, retry_after = count_in_window(
        f"alert-rate:{integration_id}", limit=limit, window=60, now=now
    )
    if count > limit:
        raise RateLimited(
            f"More than {limit} requests this minute for this integration; retry in "
            f"{retry_after} s.",
            retry_after=retry_after,
        )


def safe_headers(headers) -> dict:
    """Return request headers (a name-to-value mapping) without credentials and signatures."""
    return {
        str(name): str(value)[:1000]
        for name, value in headers.items()
        if str(name).lower() not in SECRET_HEADERS
    }
