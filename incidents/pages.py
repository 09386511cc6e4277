"""The incident pages: a filtered list, and an incident with its timeline and actions.

Actions go through the incidents services with the API's rules
(:mod:`incidents.api.permissions`): anyone signed in acknowledges and adds notes; the
responders mitigate and resolve. A refusal is shown next to the form it concerns.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, error_status, error_text
from core.pages import add_errors, page
from ownership.models import Component, Team

from . import selectors, services
from .api.permissions import can_respond
from .models import Incident, Page, Severity

PAGE_SIZE = 25
STATE_CHOICES = [
    ("open", "Open (not resolved)"),
    ("", "Any status"),
    *Incident.Status.choices,
    ("imported", "Imported from another tool"),
]


class IncidentFilterForm(forms.Form):
    state = forms.ChoiceField(label="Status", choices=STATE_CHOICES, required=False)
    severity = forms.ChoiceField(
        label="Severity",
        choices=[("", "Any severity"), *((s.value, s.value) for s in Severity)],
        required=False,
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any team",
        required=False,
    )
    q = forms.CharField(label="Title or component", max_length=100, required=False)

    def filter(self, incidents):
        """Narrow ``incidents`` down to what the valid fields ask for."""
        data = self.cleaned_data
        state = data.get("state")
        if state == "open":  # live work: imported history stays out
            incidents = incidents.exclude(status=Incident.Status.RESOLVED).filter(source="")
        elif state == "imported":
            incidents = incidents.exclude(source="")
        elif state:
            incidents = incidents.filter(status=state)
        if data.get("severity"):
            incidents = incidents.filter(severity=data["severity"])
        team = data.get("team")
        if team is not None:
            incidents = incidents.filter(Q(responding_team=team) | Q(owning_team=team))
        if data.get("q"):
            text = data["q"]
            incidents = incidents.filter(
                Q(title__icontains=text)
                | Q(component__slug__icontains=text)
                | Q(component__name__icontains=text)
            )
        return incidents


class IncidentOpenForm(forms.Form):
    """What a person types to open an incident; routing decides the rest."""

    component = forms.ModelChoiceField(
        label="Component",
        queryset=Component.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Choose the component that is affected",
        error_messages={
            "required": "Choose the component that is affected.",
            "invalid_choice": "No such component; choose one from the list.",
        },
    )
    severity = forms.ChoiceField(
        label="Severity",
        choices=Severity.choices,
        initial=Severity.SEV3,
        error_messages={"invalid_choice": "Choose a severity from SEV1 to SEV4."},
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        strip=True,
        help_text="What is broken, as the people paged will read it.",
        error_messages={
            "required": "Say in a few words what is wrong.",
            "max_length": "Keep the title to 200 characters (it has %(show_value)d).",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        widget=forms.Textarea({"rows": 5}),
        max_length=10_000,
        required=False,
        help_text="What you see, since when, what you tried.",
    )


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea({"rows": 3}), max_length=10_000)


class MitigateForm(forms.Form):
    kind = forms.ChoiceField(label="How", choices=Incident.MitigationKind.choices)
    note = forms.CharField(label="What was done (optional)", max_length=2000, required=False)


class ResolveForm(forms.Form):
    note = forms.CharField(label="Resolution note (optional)", max_length=2000, required=False)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)


@page
def incident_list(request):
    """List incidents, open ones first by default, filtered by status, severity and team."""
    data = request.GET.copy()
    data.setdefault("state", "open")
    form = IncidentFilterForm(data)
    incidents = selectors.incident_list().order_by("-created_at", "-id")
    incidents = form.filter(incidents) if form.is_valid() else incidents.none()
    paginator = Paginator(incidents, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {"form": form, "page": page_obj, "query": query.urlencode()},
        status=200 if form.is_valid() else 400,
    )


@page
def incident_open(request):
    """Open an incident through the same service as the API: routed, and its pages sent.

    GET shows the form (``?component=<slug>`` preselects one); a valid POST redirects to the
    new incident's page; bad input is shown again with a message per field (status 400).
    """
    if request.method == "POST":
        form = IncidentOpenForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _opened_message(incident))
                return redirect(incident.get_absolute_url())
        return render(request, "incidents/open.html", {"form": form}, status=400)
    form = IncidentOpenForm(initial={"component": request.GET.get("component") or None})
    return render(request, "incidents/open.html", {"form": form})


def _opened_message(incident: Incident) -> str:
    """Name everyone paged as the incident opened (first line and primary alike), in the
    order they were paged; with more than one, each with their step."""
    pages = (
        Page.objects.filter(incident=incident, user__isnull=False)
        .exclude(status=Page.Status.CANCELLED)
        .select_related("user")
        .order_by("created_at", "id")
    )
    paged = {}
    for page_ in pages:
        paged.setdefault(page_.user_id, (page_.user, page_.get_step_display().lower()))
    if not paged and incident.responder_id:
        paged[incident.responder_id] = (incident.responder, "primary")
    names = [(user.get_full_name() or user.get_username(), step) for user, step in paged.values()]
    if len(names) == 1:
        return f"Incident opened; {names[0][0]} is paged."
    if names:
        listed = [f"{name} ({step})" for name, step in names]
        return f"Incident opened; {', '.join(listed[:-1])} and {listed[-1]} are paged."
    if incident.nobody_paged:
        return "Incident opened, but nobody could be paged: see the routing warning."
    return "Incident opened."


def _render_detail(request, incident_id, *, forms_=None, errors=None, status=200):
    incident = get_object_or_404(selectors.incident_list(), pk=incident_id)
    forms_ = forms_ or {}
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "timeline": selectors.incident_timeline(incident=incident),
            "bugs": incident.bugs.select_related("team").order_by("created_at"),
            "may_respond": can_respond(request, incident),
            "note_form": forms_.get("note") or NoteForm(),
            "mitigate_form": forms_.get("mitigate") or MitigateForm(),
            "resolve_form": forms_.get("resolve") or ResolveForm(),
            "errors": errors or {},
            "statuses": Incident.Status,
        },
        status=status,
    )


@page
def incident_detail(request, pk):
    """Show an incident with its routing, timeline and the actions the viewer may take."""
    return _render_detail(request, pk)


def _act(request, pk, name, form_class, service, *, open_to_all=False, done=""):
    incident = get_object_or_404(Incident, pk=pk)
    form = form_class(request.POST)
    if not open_to_all and not can_respond(request, incident):
        return _render_detail(
            request,
            pk,
            errors={
                name: "Only the responders (the people routed to it, the responding and "
                "owning teams) and staff may do this."
            },
            status=403,
        )
    if form.is_valid():
        try:
            service(incident=incident, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except DomainError as exc:  # a step the incident's status no longer allows: 409
            return _render_detail(
                request, pk, errors={name: error_text(exc)}, status=error_status(exc)
            )
        else:
            messages.success(request, done)
            return redirect("portal-incident", pk=pk)
    return _render_detail(request, pk, forms_={name: form}, status=400)


@page
@require_POST
def incident_acknowledge(request, pk):
    """Acknowledge the incident: escalation stops (anyone signed in may)."""
    return _act(
        request,
        pk,
        "acknowledge",
        AcknowledgeForm,
        services.incident_acknowledge,
        open_to_all=True,
        done="Acknowledged: escalation stopped.",
    )


@page
@require_POST
def incident_mitigate(request, pk):
    """Record how the impact was stopped (responders)."""
    return _act(
        request, pk, "mitigate", MitigateForm, services.incident_mitigate, done="Mitigated."
    )


@page
@require_POST
def incident_resolve(request, pk):
    """Resolve the incident (responders)."""
    return _act(request, pk, "resolve", ResolveForm, services.incident_resolve, done="Resolved.")


@page
@require_POST
def incident_note(request, pk):
    """Add a note to the timeline (anyone signed in may)."""
    return _act(
        request,
        pk,
        "note",
        NoteForm,
        services.incident_note,
        open_to_all=True,
        done="Note added.",
    )
