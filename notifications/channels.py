"""The channels a message travels by: e-mail (Django's mail framework) and chat webhooks."""

import http.client
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from core.netsafety import DeadlineExceeded, UnresolvedHost, UnsafeURL, safe_urlopen

from .conf import setting
from .messages import Message
from .models import Delivery


class ChannelError(Exception):
    """A send failed; ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def email_send(message: Message) -> None:
    """Send a message as e-mail with a plain-text body and an HTML alternative."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[message.address],
        headers={
            # The same Message-ID on every attempt: a mail system that gets the message twice
            # (a worker died after sending, before recording it) can tell.
            "Message-ID": f"<rota-delivery-{message.delivery_id}@{_domain()}>",
            "X-Rota-Delivery": message.key,
        },
    )
    email.attach_alternative(message.html, "text/html")
    try:
        email.send()
    except (OSError, ValueError) as exc:
        raise ChannelError(f"E-mail to {message.address} failed: {exc}") from exc


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">")
    return address.rpartition("@")[2] or "rota.localhost"


def webhook_post(message: Message) -> None:
    """POST a Slack-compatible JSON payload to the webhook; raise ChannelError on failure.

    Rate limiting (429), server errors, network errors, a name that does not resolve (DNS
    may answer later) and an exchange that outlived NOTIFICATIONS_WEBHOOK_TIMEOUT (a total
    deadline, not a per-read one) are worth retrying; any other refusal (a revoked webhook,
    a private address) is permanent.
    """
    body = json.dumps({"text": message.chat_text}).encode()
    request = urllib.request.Request(  # noqa: S310 - safe_urlopen checks scheme and host
        message.address,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Rota notifications",
            "X-Rota-Delivery": message.key,
        },
    )
    if request.type not in ("http", "https"):
        raise ChannelError(f"Not a web address: {message.address}", permanent=True)
    timeout = setting("NOTIFICATIONS_WEBHOOK_TIMEOUT")
    try:
        # Webhook addresses are typed in by people: public hosts only (see core.netsafety).
        with safe_urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except UnresolvedHost as exc:
        raise ChannelError(f"Webhook unreachable: {exc}") from exc
    except UnsafeURL as exc:
        raise ChannelError(f"Webhook refused: {exc}", permanent=True) from exc
    except urllib.error.HTTPError as exc:
        retry = exc.code == 429 or exc.code >= 500
        raise ChannelError(
            f"Webhook answered {exc.code} {exc.reason}", permanent=not retry
        ) from exc
    except DeadlineExceeded as exc:
        raise ChannelError(f"Webhook too slow: {exc}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise ChannelError(f"Webhook unreachable: {exc}") from exc


def deliver(message: Message) -> None:
    """Send a message by its channel."""
    if message.channel == Delivery.Channel.EMAIL:
        email_send(message)
    else:
        webhook_post(message)
