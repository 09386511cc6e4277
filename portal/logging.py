"""Keep secrets that travel in URLs (calendar feeds, alert webhooks) out of logs."""

import logging
import re

# /calendar/<64 hex>.ics and /hooks/<token>/ style secrets.
SECRET_IN_PATH = re.compile(r"(/(?:calendar|hooks|integrations)/)([A-Za-z0-9_\-]{16,})")


def mask(text: str) -> str:
    return SECRET_IN_PATH.sub(r"\1[secret]", text)


class MaskUrlSecrets(logging.Filter):
    """Rewrite a record's message and arguments so that URL tokens are never written out."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask(v) if isinstance(v, str) else v for k, v in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            # Error reports (e.g. mail to admins) print the request; hide the token there too.
            record.request = _MaskedRequest(request)
        return True


class _MaskedRequest:
    """A read-only view of a request whose path and query are masked."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        value = getattr(self._request, name)
        if name in {"path", "path_info", "get_full_path"}:
            if callable(value):
                return lambda *a, **k: mask(value(*a, **k))
            return mask(value)
        return value
