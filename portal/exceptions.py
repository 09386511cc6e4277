"""Turn domain errors into the API's usual JSON error shape, in one place."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.health import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)


def validation_error_detail(exc: DjangoValidationError):
    """Django's ValidationError as DRF's {field: [messages]} (or non_field_errors)."""
    if hasattr(exc, "error_dict"):
        detail = {}
        for field, errors in exc.error_dict.items():
            key = "non_field_errors" if field == "__all__" else field
            detail.setdefault(key, [])
            for error in errors:
                detail[key].extend(error.messages)
        return detail
    return {"non_field_errors": exc.messages}


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry in a few seconds."
    default_code = "database_unavailable"


DATABASE_UNAVAILABLE_BODY = {
    "detail": str(DatabaseUnavailable.default_detail),
    "code": DatabaseUnavailable.default_code,
}
# Seconds a client should wait before retrying a request refused because the database is down.
DATABASE_RETRY_AFTER = 10


def database_unavailable_response(exc: BaseException):
    """Answer a request that failed because the database cannot be reached: 503 JSON."""
    logger.error("Database unavailable: %s", exc)
    response = Response(DATABASE_UNAVAILABLE_BODY, status=DatabaseUnavailable.status_code)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def _named(obj) -> str:
    """Name a row for people: its kind and its title or name, never its id."""
    kind = obj._meta.verbose_name
    title = getattr(obj, "title", None)
    return f'{kind} "{title}"' if title else f"{kind} {obj}"


def still_in_use(exc: ProtectedError | RestrictedError) -> Conflict:
    """Answer a refused delete with 409 naming (up to five of) the rows that depend on it."""
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    names = sorted({_named(obj) for obj in objects})
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return Conflict(f"Still in use by: {', '.join(names[:5])}{more}; change or delete those first.")


def api_exception_handler(exc, context):
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return database_unavailable_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = still_in_use(exc)
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as 409: %s", exc)
        exc = Conflict("The change conflicts with another change made at the same time; retry.")
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


def conflict_response(message):
    return Response({"detail": message}, status=status.HTTP_409_CONFLICT)
