"""Answer the rota's named domain errors with the right HTTP status, in one place.

Validation errors of the domain (``ShiftOverlap``, ``OverrideOverlap``, ``CalendarImportError``)
are Django ValidationErrors: the portal's exception handler answers them with 400 and a
message per field. What is left here are conflicts with the current state: a swap someone else
took first, or a row that others depend on.
"""

from django.db.models import ProtectedError

from core.exceptions import Conflict, still_in_use

from ..exceptions import SwapError


def as_http_error(exc):
    """Return the API exception for a rota domain error, or ``exc`` unchanged."""
    if isinstance(exc, SwapError):
        return Conflict(str(exc))
    if isinstance(exc, ProtectedError):
        return still_in_use(exc)
    return exc


class RotaErrorsMixin:
    """Map the rota's domain errors (see :func:`as_http_error`) for a view."""

    def handle_exception(self, exc):
        return super().handle_exception(as_http_error(exc))
