"""The headers of the hot path's answers: those Django's middleware would send, worked out once.

For each path, host and scheme, the header list of a JSON answer is made once by running the
very middleware that add headers to an API answer (X-Frame-Options, Content-Length, the
Content-Security-Policy, SecurityMiddleware's) on a response shaped as DRF shapes one; only
Content-Length changes from one answer to the next. ``portal.hotpath`` uses it.
"""

from io import BytesIO

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_vary_headers

from core import throttling

_MAX_TEMPLATES = 64  # a few hosts and schemes; beyond them each request is checked afresh


class HeaderTemplates:
    """Header templates kept in ``store`` (a dict of the hot path's state); ``views`` gives
    the DRF view class of each path."""

    def __init__(self, store: dict, views: dict):
        self.store, self.views = store, views
        self.proxy_ssl = settings.SECURE_PROXY_SSL_HEADER

    def template(self, environ, path: str):
        """Return (request, headers before Content-Length, headers after) for this path and
        host as Django's middleware would send them, or None where Django would not answer
        with the view (a host not allowed, an HTTPS redirect)."""
        secure = self.is_secure(environ)
        key = (
            path,
            secure,
            environ.get("HTTP_HOST"),
            environ.get("HTTP_X_FORWARDED_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
        )
        if key in self.store:
            return self.store[key]
        template = self.make_template(environ)
        if len(self.store) < _MAX_TEMPLATES:
            self.store[key] = template
        return template

    def is_secure(self, environ) -> bool:
        if self.proxy_ssl:
            header, secure_value = self.proxy_ssl
            value = environ.get(header)
            if value is not None:
                return value.split(",")[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"

    def make_template(self, environ):
        request = WSGIRequest({**environ, "QUERY_STRING": "", "wsgi.input": BytesIO()})
        try:
            request.get_host()
        except DisallowedHost:
            return None
        if SecurityMiddleware(_no_view).process_request(request) is not None:
            return None  # redirected to HTTPS
        response = HttpResponse(content_type="application/json")
        # What DRF's APIView.finalize_response adds to every answer of the view.
        view = self.views[request.path_info]()
        view.setup(request)  # as as_view() does: answers HEAD as GET, which Allow names
        added = dict(view.default_response_headers)
        vary = added.pop("Vary", None)
        if vary is not None:
            patch_vary_headers(response, [v.strip() for v in vary.split(",")])
        for name, value in added.items():
            response[name] = value
        names = self.decorate(request, response)
        cut = names.index("Content-Length")
        items = list(response.items())
        return request, items[:cut], items[cut + 1 :]

    @staticmethod
    def decorate(request, response) -> list[str]:
        """Add what Django's middleware adds to an API answer; return the header names."""
        for middleware in (XFrameOptionsMiddleware, CommonMiddleware, CSPMiddleware):
            middleware(_no_view).process_response(request, response)
        SecurityMiddleware(_no_view).process_response(request, response)
        return [name for name, _ in response.items()]

    def refused(self, template, decision) -> tuple:
        """The 429 the throttle middleware answers, with the same headers."""
        response = throttling.refused(decision)
        self.decorate(template[0], response)
        return f"429 {response.reason_phrase}", list(response.items()), response.content


def _no_view(request):
    return None
