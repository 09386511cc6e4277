"""Named domain errors of the rota, on the bases of :mod:`core.exceptions`.

Errors about bad input are ``InvalidInput``: Django ValidationErrors (a message per field), so
the API (400), forms and the admin show them like any other validation error. Errors about a
state that changed under the caller (a swap someone else took first) are ``Conflict``: 409
with their message. ``core.exceptions`` maps both, for the API and for pages.
"""

from core.exceptions import Conflict, InvalidInput


class ShiftOverlap(InvalidInput):
    """A shift would overlap another shift of the same rotation."""


class OverrideOverlap(InvalidInput):
    """An override would overlap another of its rotation only partly, or repeat its window."""


class SwapError(Conflict):
    """A swap request is not in a state that allows the requested step (409)."""

    def __init__(self, message, *, swap=None):
        super().__init__(message)
        self.swap = swap


class SwapAlreadyTaken(SwapError):
    """Someone else took (or was approved for) the offered shift first."""


class SwapNotOpen(SwapError):
    """The swap request was cancelled, rejected or already decided."""


class ShiftStarted(SwapNotOpen):
    """The shift has started: a swap would move hours already past (see rota.services.swaps)."""


class CalendarImportError(InvalidInput):
    """An iCalendar file or URL could not be read."""
