"""core.exceptions: one base for domain errors, answered by the API and pages in one place.

Every status and body below is what the class says (worked out from the class table in
core/exceptions.py): Conflict and InvalidState 409, NotAllowed 403, a bare DomainError 400
with the message under its field (or non_field_errors), InvalidInput 400 per field.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.exceptions import (
    Conflict,
    DomainError,
    InvalidInput,
    InvalidState,
    NotAllowed,
    error_status,
    error_text,
)
from incidents.exceptions import AlertRefused, BugStateError, IllegalTransition, RateLimited
from ownership.catalog import CatalogImportError
from rota.exceptions import (
    CalendarImportError,
    OverrideOverlap,
    ShiftOverlap,
    ShiftStarted,
    SwapAlreadyTaken,
    SwapError,
    SwapNotOpen,
)


def answer(exc):
    """Raise ``exc`` in a DRF view (the portal's exception handler) and return status, body."""

    class Raising(APIView):
        authentication_classes = ()
        permission_classes = ()

        def get(self, request):
            raise exc

    response = Raising.as_view()(APIRequestFactory().get("/api/v1/x/"))
    response.render()
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (Conflict("Someone else took this shift first."), 409,
         {"detail": "Someone else took this shift first."}),
        (InvalidState("The bug is decided."), 409, {"detail": "The bug is decided."}),
        (NotAllowed("Only rota admins do this."), 403, {"detail": "Only rota admins do this."}),
        (DomainError("Give a team.", field="team"), 400, {"team": ["Give a team."]}),
        (DomainError("No."), 400, {"non_field_errors": ["No."]}),
        (Conflict(), 409,
         {"detail": "The request conflicts with the current state of the resource."}),
        (InvalidInput({"start": "Overlaps."}), 400, {"start": ["Overlaps."]}),
    ],
)  # fmt: skip
def test_the_api_answers_each_base_with_its_status_and_message(exc, status, body):
    assert answer(exc) == (status, body)


def test_the_apps_errors_are_domain_errors_with_the_statuses_the_api_has_always_given():
    # Swaps and incident/bug steps: 409; overlaps and calendar imports: bad input (400).
    for cls in (SwapError, SwapAlreadyTaken, SwapNotOpen, ShiftStarted):
        assert issubclass(cls, Conflict) and cls.status_code == 409
    for cls in (IllegalTransition, BugStateError):
        assert issubclass(cls, InvalidState) and cls.status_code == 409
    for cls in (ShiftOverlap, OverrideOverlap, CalendarImportError):
        assert issubclass(cls, InvalidInput) and issubclass(cls, ValidationError)
    assert issubclass(AlertRefused, DomainError) and RateLimited.status_code == 429
    assert issubclass(CatalogImportError, DomainError)
    assert issubclass(NotAllowed, PermissionDenied)


def test_a_swap_error_answers_409_with_its_message_from_any_view():
    assert answer(SwapNotOpen("This offer is cancelled.")) == (
        409,
        {"detail": "This offer is cancelled."},
    )


def test_invalid_input_stays_a_validation_error_with_its_field():
    exc = ShiftOverlap({"start": "This shift overlaps Alice Martin's shift."})
    assert exc.message_dict == {"start": ["This shift overlaps Alice Martin's shift."]}
    assert exc.field == "start"
    assert answer(exc) == (400, {"start": ["This shift overlaps Alice Martin's shift."]})
    # Wrapped in another ValidationError (as full_clean does), its messages carry over.
    assert ValidationError([exc]).messages == ["This shift overlaps Alice Martin's shift."]


@pytest.mark.parametrize(
    ("exc", "text", "status"),
    [
        (SwapAlreadyTaken("Someone else took this shift first."),
         "Someone else took this shift first.", 409),
        (BugStateError('The bug "Timeout" is decided (fixed).'),
         'The bug "Timeout" is decided (fixed).', 409),
        (ValidationError({"start": ["Too early."], "end": ["Too late."]}),
         "Too early. Too late.", 400),
        (CalendarImportError({"url": "The calendar is larger than 5 MB."}),
         "The calendar is larger than 5 MB.", 400),
        (NotAllowed("Only rota admins do this."), "Only rota admins do this.", 403),
        (PermissionDenied("No."), "No.", 403),
        (CatalogImportError(["line 3: unknown team", "line 9: no name"]),
         "line 3: unknown team\nline 9: no name", 400),
    ],
)  # fmt: skip
def test_pages_and_the_admin_read_the_same_message_and_status(exc, text, status):
    assert (error_text(exc), error_status(exc)) == (text, status)
