"""A bug's page: what it is, its timeboxed investigation, and the form to decide it.

Deciding follows the API's rule (:func:`incidents.api.permissions.can_work_on_bug`): members
of the bug's team and staff decide; everyone signed in reads. Timebox notices and triage
agendas link here.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, error_status, error_text
from core.pages import add_errors, page

from . import selectors, services
from .api.permissions import can_work_on_bug
from .models import Bug


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Bug.Outcome.choices)
    story_url = forms.URLField(
        label="Story link (for a story)", required=False, max_length=500, assume_scheme="https"
    )
    story_points = forms.IntegerField(
        label="Story points (for a story)", required=False, min_value=0, max_value=100
    )


def _render(request, pk, *, form=None, error="", status=200):
    bug = get_object_or_404(selectors.bug_list(), pk=pk)
    return render(
        request,
        "incidents/bug.html",
        {
            "bug": bug,
            "may_decide": can_work_on_bug(request, bug),
            "form": form or DecideForm(),
            "error": error,
        },
        status=status,
    )


@page
def bug_detail(request, pk):
    """Show a bug, its investigation and timebox, and (to its team) the decide form."""
    return _render(request, pk)


@page
@require_POST
def bug_decide(request, pk):
    """Record the bug's outcome: fixed, an estimated story, or won't fix (its team, staff)."""
    bug = get_object_or_404(Bug, pk=pk)
    form = DecideForm(request.POST)
    if not can_work_on_bug(request, bug):
        error = "Only members of the bug's team and staff decide it."
        return _render(request, pk, form=form, error=error, status=403)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            services.bug_decide(bug=bug, by=request.user, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        except DomainError as exc:  # a bug decided already: 409
            return _render(request, pk, form=form, error=error_text(exc), status=error_status(exc))
        else:
            messages.success(request, f'The bug "{bug.title}" is decided.')
            return redirect("portal-bug", pk=pk)
    return _render(request, pk, form=form, status=400)
