"""Middleware shared by every app."""

import logging

from django.http import JsonResponse

from core.exceptions import DATABASE_RETRY_AFTER, DATABASE_UNAVAILABLE_BODY, DatabaseUnavailable
from core.retry import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)


class ApiDatabaseUnavailableMiddleware:
    """Answer /api/ requests whose view failed because the database is down with 503 JSON.

    DRF views already do (core.exceptions.api_exception_handler); this covers the rest, so
    an API client never receives the HTML error page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/") or not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.error("Database unavailable: %s", exception)
        response = JsonResponse(DATABASE_UNAVAILABLE_BODY, status=DatabaseUnavailable.status_code)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
