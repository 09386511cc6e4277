"""Admin page to import leave or public holidays from an iCalendar file or URL.

``UnavailabilityAdmin.get_urls`` puts :func:`import_urls` before its own: the page
``/admin/rota/unavailability/import/`` (URL name ``admin:rota_unavailability_import``), for
staff who may add unavailability. It shows the counts and every skipped event with its reason.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path

from core.admin_scope import manager_scope
from ownership.models import Membership, Team

from . import services
from .models import Unavailability

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UnavailabilityImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="An .ics file.")
    url = forms.CharField(
        required=False, max_length=2000, help_text="Or an http(s) or webcal:// calendar address."
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        help_text="Whose leave it is.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text="Or the team (its public holidays or team leave).",
    )
    kind = forms.ChoiceField(choices=Unavailability.Kind.choices, initial="leave")
    prune = forms.BooleanField(
        required=False,
        help_text="Delete entries imported before from the same calendar whose events are gone.",
    )
    calendar = forms.CharField(
        required=False,
        max_length=200,
        help_text="Which calendar this is (default: the URL, else the file's X-WR-CALNAME); "
        "needed to prune a file that has no name.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The calendar is larger than 5 MB.")
        return upload

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            self.add_error("file", "Upload a file or give a url (one).")
        if (data.get("user") is None) == (data.get("team") is None):
            self.add_error("user", "Choose a person or a team (exactly one).")
        return data


def _limit_to_scope(form, request, model_admin) -> None:
    """Offer a manager only their teams and their people, as the leave admin's scope does."""
    team_ids = manager_scope(request)
    if team_ids is None:
        return
    form.fields["team"].queryset = form.fields["team"].queryset.filter(pk__in=team_ids)
    people = Membership.objects.filter(team_id__in=team_ids).values("user_id")
    form.fields["user"].queryset = form.fields["user"].queryset.filter(pk__in=people)


def import_view(request, model_admin):
    """Show the import form; on submit, import and show the counts and the skipped events."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    result = None
    if request.method == "POST":
        form = UnavailabilityImportForm(request.POST, request.FILES)
        _limit_to_scope(form, request, model_admin)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.unavailability_import_ics(
                    data=data["file"].read() if data["file"] else None,
                    url=data["url"] or None,
                    user=data["user"],
                    team=data["team"],
                    kind=data["kind"],
                    prune=data["prune"],
                    calendar=data["calendar"],
                    by=request.user,
                )
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    field = {"data": "file"}.get(key, key)
                    form.add_error(field if field in form.fields else None, messages)
    else:
        form = UnavailabilityImportForm()
    _limit_to_scope(form, request, model_admin)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import leave or holidays",
        "opts": model_admin.model._meta,
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, "admin/rota/unavailability/import.html", context)


def import_urls(model_admin) -> list:
    """Return the URL patterns to put before the unavailability admin's own."""
    opts = model_admin.model._meta

    def view(request):
        return import_view(request, model_admin)

    return [
        path(
            "import/",
            model_admin.admin_site.admin_view(view),
            name=f"{opts.app_label}_{opts.model_name}_import",
        )
    ]
