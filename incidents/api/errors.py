"""Answer the incidents app's state errors with 409 Conflict, in one place."""

from core.exceptions import Conflict

from ..exceptions import BugStateError, IllegalTransition


class IncidentErrorsMixin:
    """Map ``IllegalTransition`` and ``BugStateError`` to 409 with their message."""

    def handle_exception(self, exc):
        if isinstance(exc, IllegalTransition | BugStateError):
            exc = Conflict(str(exc))
        return super().handle_exception(exc)
