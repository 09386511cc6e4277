"""Admin pages to import and export the catalog (catalog-info.yaml and CODEOWNERS).

Hook it into ``ownership/admin.py`` by mixing it into the component admin::

    from .admin_catalog import CatalogAdminMixin

    @admin.register(Component)
    class ComponentAdmin(CatalogAdminMixin, admin.ModelAdmin):
        ...

The mixin must come before ``admin.ModelAdmin``. It adds:

* ``get_urls()``: the page ``/admin/ownership/component/import-catalog/``, URL name
  ``admin:ownership_component_import_catalog``, for rota admins (an import may re-own
  every team's components) with both the add and the change permission on components;
* ``get_actions()``: "Export selected as catalog-info.yaml" and "Export selected as
  CODEOWNERS", for anyone who may view components, whatever ``actions`` the admin lists.

Without the mixin, the same by hand::

    actions = [export_selected_as_catalog, export_selected_as_codeowners]

    def get_urls(self):
        return catalog_urls(self) + super().get_urls()

The template ``admin/ownership/component/change_list.html`` puts an "Import catalog" button
on the component list once that URL exists (an admin with its own ``change_list_template``
should extend it or add the link itself). The CODEOWNERS export names teams
``@<org>/<slug>`` with ``org`` from the setting ``ROTA_CODEOWNERS_ORG`` (default "org").
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from core.permissions import is_rota_admin

from .catalog import (
    CatalogImportError,
    catalog_export,
    catalog_import,
    codeowners_export,
    codeowners_import,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        help_text="A Backstage catalog-info.yaml (one or many entities) or a CODEOWNERS file."
    )
    format = forms.ChoiceField(
        choices=[
            ("auto", "Tell from the file"),
            ("catalog", "Backstage catalog-info.yaml"),
            ("codeowners", "CODEOWNERS"),
        ],
        initial="auto",
        required=False,
    )
    org = forms.CharField(
        required=False,
        max_length=100,
        label="GitHub organisation",
        help_text="CODEOWNERS only: accept @org/team owners of this organisation only.",
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run",
        help_text="Show what the import would create and change without saving anything.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        try:
            self.cleaned_data["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        return upload

    def chosen_format(self) -> str:
        """Return "catalog" or "codeowners", telling them apart by name, then by content."""
        chosen = self.cleaned_data["format"]
        if chosen in ("catalog", "codeowners"):
            return chosen
        name = self.cleaned_data["file"].name.lower()
        if name.endswith((".yaml", ".yml")):
            return "catalog"
        if "codeowners" in name:
            return "codeowners"
        return "catalog" if "apiVersion:" in self.cleaned_data["text"] else "codeowners"


def catalog_import_view(request, model_admin):
    """Show the import form; on upload, import (or dry-run) it and show the report or errors."""
    # An import re-owns components of every team: the rota admins' (core.permissions).
    if not (
        is_rota_admin(request.user)
        and model_admin.has_add_permission(request)
        and model_admin.has_change_permission(request)
    ):
        raise PermissionDenied
    report = errors = None
    if request.method == "POST":
        form = CatalogImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            options = {"text": data["text"], "by": request.user, "dry_run": data["dry_run"]}
            try:
                if form.chosen_format() == "codeowners":
                    report = codeowners_import(org=data["org"] or None, **options)
                else:
                    report = catalog_import(**options)
            except CatalogImportError as exc:
                errors = exc.errors
    else:
        form = CatalogImportForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import catalog",
        "opts": model_admin.model._meta,
        "form": form,
        "errors": errors,
        "report": report,
        "report_lines": report.lines() if report else [],
    }
    return TemplateResponse(request, "admin/ownership/catalog_import.html", context)


def catalog_urls(model_admin) -> list:
    """Return the URL patterns to put before the component admin's own."""
    opts = model_admin.model._meta

    def view(request):
        return catalog_import_view(request, model_admin)

    return [
        path(
            "import-catalog/",
            model_admin.admin_site.admin_view(view),
            name=f"{opts.app_label}_{opts.model_name}_import_catalog",
        )
    ]


def _download(text, filename, content_type):
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(description="Export selected as catalog-info.yaml", permissions=["view"])
def export_selected_as_catalog(modeladmin, request, queryset):
    """Download the selected components, their ancestors and owner teams as Backstage YAML."""
    return _download(catalog_export(components=queryset), "catalog-info.yaml", "application/yaml")


@admin.action(description="Export selected as CODEOWNERS", permissions=["view"])
def export_selected_as_codeowners(modeladmin, request, queryset):
    """Download the selected components' path patterns and owner teams as CODEOWNERS."""
    org = getattr(settings, "ROTA_CODEOWNERS_ORG", "org")
    return _download(codeowners_export(components=queryset, org=org), "CODEOWNERS", "text/plain")


CATALOG_ACTIONS = (export_selected_as_catalog, export_selected_as_codeowners)


class CatalogAdminMixin:
    """Add the catalog import page and export actions to a component ModelAdmin."""

    def get_urls(self):
        return catalog_urls(self) + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_import_catalog": is_rota_admin(request.user)
            and self.has_add_permission(request)
            and self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Respect an admin that turns actions off, and popups, as ModelAdmin itself does.
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        if not self.has_view_permission(request):
            return actions
        for func in CATALOG_ACTIONS:
            actions.setdefault(func.__name__, (func, func.__name__, func.short_description))
        return actions
