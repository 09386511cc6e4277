"""How sign-in attempts are counted: the client address behind the proxies Rota trusts."""

from django.conf import settings


def client_ip(request) -> str | None:
    """Return the address that sent ``request``, for counting failed sign-ins per address.

    Behind ROTA_TRUSTED_PROXY_COUNT proxies, each of which appends the address it received the
    request from to X-Forwarded-For, the client is the entry that many places from the right;
    entries further left were written by the client and cannot be trusted. Without proxies, or
    with fewer entries than proxies, it is REMOTE_ADDR.
    """
    proxies = settings.ROTA_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
