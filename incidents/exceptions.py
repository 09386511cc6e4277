"""Named domain errors of the incidents app.

Bad input is a Django ValidationError (a message per field; the API answers 400). A request
that conflicts with the current state (acknowledging a resolved incident) raises one of the
``InvalidState`` errors below, which the API answers with 409 and pages show with their
message (see :mod:`core.exceptions`). Alert webhook refusals carry the HTTP status the sender
gets.
"""

from core.exceptions import DomainError, InvalidState


def person_name(user) -> str:
    """Name a person as others know them: full name, else username."""
    return user.get_full_name() or user.get_username()


class IllegalTransition(InvalidState):
    """An incident cannot move from its current status to the requested one.

    The message names the incident by its title and component, and who made the step already,
    e.g. 'The incident "Checkout down" on Checkout API is already acknowledged by Alice Martin.'
    """

    def __init__(self, *, incident, target: str):
        self.incident = incident
        self.current = incident.status
        self.target = target
        named = f'The incident "{incident.title}" on {incident.component.name}'
        if self.current == target:
            by = getattr(incident, f"{target}_by", None)
            message = f"{named} is already {target}{f' by {person_name(by)}' if by else ''}."
        else:
            message = (
                f"{named} is {self.current}; it cannot become {target} "
                "(statuses go triggered, acknowledged, mitigated, resolved)."
            )
        super().__init__(message)


class BugStateError(InvalidState):
    """A bug is not in a state that allows the requested step."""


class AlertRefused(DomainError):
    """An alert webhook request was refused; ``status_code`` is what the sender gets."""

    status_code = 400
    reason = "payload"


class UnknownIntegration(AlertRefused):
    status_code = 404
    reason = "unknown"


class IntegrationInactive(AlertRefused):
    status_code = 403
    reason = "inactive"


class BadSignature(AlertRefused):
    status_code = 401
    reason = "signature"


class StaleTimestamp(BadSignature):
    reason = "stale"


class PayloadTooLarge(AlertRefused):
    status_code = 413
    reason = "too_large"


class RateLimited(AlertRefused):
    status_code = 429
    reason = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class BadPayload(AlertRefused):
    """The body is not JSON, or not in the integration's format; ``errors`` says where.

    ``errors`` is never empty: a refusal with a single cause (a body that is not JSON, an
    unknown version, no component) lists that cause, so every 400 has ``detail`` and ``errors``.
    """

    status_code = 400
    reason = "payload"

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or [message]
