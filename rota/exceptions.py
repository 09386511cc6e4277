"""Named domain errors of the rota.

Errors about bad input subclass Django's ValidationError (with a message per field), so the API
and the admin show them like any other validation error. Errors about a state that changed
under the caller (a swap someone else took first) are not validation errors: the API answers
them with 409 Conflict.
"""

from django.core.exceptions import ValidationError


class ShiftOverlap(ValidationError):
    """A shift would overlap another shift of the same rotation."""


class OverrideOverlap(ValidationError):
    """An override would overlap another of its rotation only partly, or repeat its window."""


class SwapError(Exception):
    """A swap request is not in a state that allows the requested step."""

    def __init__(self, message, *, swap=None):
        super().__init__(message)
        self.swap = swap


class SwapAlreadyTaken(SwapError):
    """Someone else took (or was approved for) the offered shift first."""


class SwapNotOpen(SwapError):
    """The swap request was cancelled, rejected or already decided."""


class ShiftStarted(SwapNotOpen):
    """The shift has started: a swap would move hours already past (see rota.services.swaps)."""


class CalendarImportError(ValidationError):
    """An iCalendar file or URL could not be read."""
