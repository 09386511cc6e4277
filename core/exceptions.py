"""Turn domain errors into the API's usual JSON error shape, in one place."""

import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from core.retry import DATABASE_UNAVAILABLE

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


# --- domain errors -----------------------------------------------------------------------
#
# Every app's named refusals subclass DomainError (or InvalidInput, for bad input), so that
# one place answers each of them: ``api_exception_handler`` for the API, ``error_text`` and
# ``error_status`` for portal pages and the admin. The apps raise; nobody maps per view.


class DomainError(Exception):
    """A refusal of the domain: a message for people, the HTTP status it answers, a field.

    ``message`` is a sentence naming the rows concerned (never an id alone); ``field``, when
    given, names the input the refusal is about. The API answers ``status_code`` with
    ``{"detail": message}`` (400: ``{field or "non_field_errors": [message]}``).
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_message = "The request was refused."

    def __init__(self, message: str = "", *, field: str | None = None):
        message = message or self.default_message
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    """The request conflicts with the current state (someone else changed it first): 409."""

    status_code = status.HTTP_409_CONFLICT
    default_message = "The request conflicts with the current state of the resource."


class InvalidState(DomainError):
    """The row is not in a state that allows the requested step (a resolved incident): 409."""

    status_code = status.HTTP_409_CONFLICT
    default_message = "This is not possible in the current state."


class NotAllowed(DomainError, PermissionDenied):
    """The person may not do this: 403, with the message (Django's PermissionDenied too)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_message = "You may not do this."


class InvalidInput(DomainError, DjangoValidationError):
    """Bad input the domain names: a Django ValidationError (a message per field), 400.

    Built as ValidationError is (``InvalidInput({"start": "..."})``), so forms, the admin and
    ``full_clean`` callers show it like any other validation error; ``field`` is the first
    field named.
    """

    def __init__(self, message, code=None, params=None):
        DjangoValidationError.__init__(self, message, code, params)
        self.field = next(iter(getattr(self, "error_dict", {})), None)


def error_text(exc: BaseException) -> str:
    """Say what went wrong, for a person: a page's or the admin's message, whatever ``exc``.

    A validation error's messages are joined by spaces; a refused delete names what still
    depends on the row (see :func:`still_in_use`); a domain error gives its message.
    """
    if isinstance(exc, DjangoValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, ProtectedError | RestrictedError):
        return still_in_use(exc).message
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc)


def error_status(exc: BaseException) -> int:
    """Return the HTTP status a page answers ``exc`` with (400 for bad input, 409 in use)."""
    if isinstance(exc, DjangoValidationError):
        return status.HTTP_400_BAD_REQUEST
    if isinstance(exc, ProtectedError | RestrictedError):
        return status.HTTP_409_CONFLICT
    if isinstance(exc, DomainError):
        return exc.status_code
    if isinstance(exc, PermissionDenied):
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


def as_api_error(exc: DomainError) -> exceptions.APIException:
    """Return DRF's answer to a domain error: its status, ``{"detail": message}`` (or fields)."""
    if exc.status_code == status.HTTP_400_BAD_REQUEST:
        return exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
    answer = exceptions.APIException(exc.message)
    answer.status_code = exc.status_code
    return answer


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


LARGEST_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL's bigint store


def too_large_numbers(request) -> exceptions.ValidationError:
    """Name the query parameters whose number no database column can hold (SQLite overflows).

    A filter by id (``?rotation=1e+123``) reaches SQLite's driver, which raises OverflowError
    rather than finding nothing; the caller gets 400 naming the parameter instead of a 500.
    """
    message = f"Give a whole number between -{LARGEST_ID} and {LARGEST_ID}."
    detail = {}
    for name, values in getattr(request, "query_params", {}).lists():
        for value in values:
            try:
                number = Decimal(value)
            except (InvalidOperation, ValueError, TypeError):
                continue
            if number.is_finite() and abs(number) > LARGEST_ID:
                detail[name] = [message]
    return exceptions.ValidationError(
        detail or {"non_field_errors": ["A number is too large to look up."]}
    )


def api_exception_handler(exc, context):
    """Answer ``exc`` in DRF's shapes: ``{"detail": message}``, or messages per field for 400.

    Every refused input is ``{field: [messages], "non_field_errors": [messages]}``, as a
    serializer's ``errors`` are, wherever it was raised: a view raising
    ``ValidationError({"component": "Unknown component 'x'."})`` or ``ValidationError("...")``
    gets the same list-valued shape (``rest_framework.serializers.as_serializer_error``). Django's
    ValidationError answers 400, and so does a number too large for the database in a query
    parameter (``too_large_numbers``); a refused delete and a racing write answer 409. A
    domain error (:class:`DomainError`) answers its own status with its message.
    """
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return database_unavailable_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, DomainError):
        exc = as_api_error(exc)
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = as_api_error(still_in_use(exc))
    if isinstance(exc, exceptions.ValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, OverflowError) and context.get("request") is not None:
        exc = too_large_numbers(context["request"])
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as 409: %s", exc)
        exc = as_api_error(
            Conflict("The change conflicts with another change made at the same time; retry.")
        )
    return exception_handler(exc, context)


def api_not_found(request, exception=None):
    """Answer a URL that matches no route: JSON ``{"detail": ...}`` under /api/, else Django's page.

    Django's 404 page is HTML; a client of the API (``/api/v1/incidents/0.5/``, an id that is
    not a number) reads the same error shape as for any other 404. Installed as ``handler404``.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
