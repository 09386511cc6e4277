"""The admin's import pages, generic over ``importers.registry``.

``/admin/importers/importrun/new/`` takes a file and an importer and dry-runs it; the run's
page (``.../<id>/run/``) shows the report, lets the user map the source's unmapped services
to components (importers that name services), and applies it with a Celery task whose
progress it shows, refreshing itself until the task is done. Rota admins only: an import
writes every team's history (403 for anyone else, managers included, with an admin page
saying so).
"""

import functools

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin_scope import RotaAdminOnly
from core.permissions import is_rota_admin
from ownership.models import Component

from . import registry
from .base import ImportRefused
from .history.incidents import load_mapping
from .models import ImportRun
from .services import (
    NotApplicable,
    import_run_apply,
    import_run_check,
    import_run_progress,
    import_run_remap,
    last_mapping,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # two years of PagerDuty incidents is about 3 MB
REFRESH_SECONDS = 2


def _importer_choices():
    kinds: dict[str, list] = {}
    for info in sorted(registry.IMPORTERS.values(), key=lambda i: (i.kind, i.label)):
        kinds.setdefault(info.kind.capitalize(), []).append(
            (info.name, f"{info.label}: {info.file_hint}")
        )
    return list(kinds.items())


def _mapping_help() -> str:
    """The mapping field's help: what each importer's mapping file maps (its ``mapping_hint``)."""
    hints = [
        f"{info.label}: {info.mapping_hint}"
        for info in sorted(registry.IMPORTERS.values(), key=lambda i: (i.kind, i.label))
        if info.mapping_hint
    ]
    return (
        "Optional: YAML or JSON. Incident histories: {source service name: component slug} "
        "(services left unmapped can be mapped after the dry run); " + "; ".join(hints) + "."
    )


class NewImportForm(forms.Form):
    importer = forms.ChoiceField(choices=_importer_choices)
    file = forms.FileField(help_text="The file the other tool exported.")
    mapping = forms.FileField(required=False)
    mapping_text = forms.CharField(
        label="Mapping (text)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Or the mapping as YAML or JSON text, in the importer's documented format "
        "(bug importers: components, severity, outcome, default_component, issue_types, "
        "jira_url). Filled in from the last import with the same importer.",
    )
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional: the importer's options, one KEY=VALUE a line; schedules take "
        "rotation=NAME, team=SLUG, role=primary|secondary, timezone=ZONE, from=DATE, "
        "until=DATE (README 'Moving to Rota').",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].help_text = _mapping_help()

    def _read(self, name: str) -> bytes | None:
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                {name: f"The file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."}
            )
        return upload.read()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["data"] = self._read("file")
        data["options_dict"] = {}
        for number, line in enumerate(data.get("options", "").splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip() or key.strip() == "mapping":
                raise forms.ValidationError(
                    {"options": f"Line {number}: give KEY=VALUE (the mapping is a file)."}
                )
            data["options_dict"][key.strip()] = value.strip()
        raw = self._read("mapping")
        field = "mapping"
        if raw and data.get("mapping_text", "").strip():
            raise forms.ValidationError({field: "Give the mapping as a file or as text, not both."})
        if not raw:
            raw, field = data.get("mapping_text", "").strip(), "mapping_text"
        # Each importer reads its own documented mapping format (bug importers: a dict of
        # sections); the others map {source name: slug or person}.
        read = getattr(registry.get(data["importer"]).run, "read_mapping", load_mapping)
        try:
            data["mapping_dict"] = read(raw) if raw else {}
        except ImportRefused as error:
            raise forms.ValidationError({field: error.message}) from None
        return data


class MappingForm(forms.Form):
    """One component picker per unmapped source service (``service_0``, ``service_1``...)."""

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.services = list(services)
        choices = [("", "leave unmapped (not imported)")] + [
            (slug, f"{name} ({slug})")
            for slug, name in Component.objects.order_by("name").values_list("slug", "name")
        ]
        for index, service in enumerate(self.services):
            self.fields[f"service_{index}"] = forms.ChoiceField(
                label=service, choices=choices, required=False
            )

    def mapping(self) -> dict[str, str]:
        return {
            service: self.cleaned_data[f"service_{index}"]
            for index, service in enumerate(self.services)
            if self.cleaned_data.get(f"service_{index}")
        }


@admin.register(ImportRun)
class ImportRunAdmin(RotaAdminOnly, admin.ModelAdmin):
    list_display = ["file_name", "importer", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "importer"]
    list_select_related = ["created_by"]
    fields = ["importer", "file_name", "status", "done", "total", "error", "report"]
    readonly_fields = fields

    # Rota admins only; unlike RotaAdminOnly, no model permission is needed on top (the
    # role decides here, not the model permissions the "Rota admins" group also holds).
    def has_module_permission(self, request):
        return is_rota_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_rota_admin(request.user)

    def has_add_permission(self, request):
        return is_rota_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_rota_admin(request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        urls = [
            path("new/", view(self.new_view), name="importers_importrun_new"),
            path("<int:pk>/run/", view(self.run_view), name="importers_importrun_run"),
            *super().get_urls(),
        ]
        for pattern in urls:
            pattern.callback = self._rota_admins_only(pattern.callback)
        return urls

    def _rota_admins_only(self, view):
        """Wrap ``view``: staff who are not rota admins get the admin's "Only rota admins can
        import" page (403); everyone else goes on to ``view`` (the admin's login for those
        signed out)."""

        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            user = request.user
            if user.is_active and user.is_staff and not is_rota_admin(user):
                context = self._context(request, "Only rota admins can import")
                return TemplateResponse(
                    request, "admin/importers/importrun/forbidden.html", context, status=403
                )
            return view(request, *args, **kwargs)

        return guarded

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:importers_importrun_new")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not is_rota_admin(request.user):
            raise PermissionDenied
        return redirect("admin:importers_importrun_run", pk=object_id)

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            **extra,
        }

    def new_view(self, request):
        """Upload a file for an importer; dry-run it and go to its page."""
        if not is_rota_admin(request.user):
            raise PermissionDenied
        chosen = request.GET.get("importer", "")
        initial = {}
        if chosen in registry.IMPORTERS:
            # Start from the mapping the last import with this importer used (picks included).
            last = last_mapping(chosen)
            text = yaml.safe_dump(last, allow_unicode=True, sort_keys=False) if last else ""
            initial = {"importer": chosen, "mapping_text": text}
        form = NewImportForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            run = import_run_check(
                importer=data["importer"],
                file_name=data["file"].name,
                data=data["data"],
                mapping=data["mapping_dict"],
                options=data["options_dict"],
                by=request.user,
            )
            return redirect(run.get_absolute_url())
        context = self._context(request, "Import from another tool", form=form)
        return TemplateResponse(request, "admin/importers/importrun/new.html", context)

    def run_view(self, request, pk):
        """Show a run's dry-run report and mapping; apply it; show its progress."""
        if not is_rota_admin(request.user):
            raise PermissionDenied
        run = get_object_or_404(ImportRun, pk=pk)
        mapping_form = MappingForm(request.POST or None, services=run.unmapped)
        if request.method == "POST":
            try:
                if "apply" in request.POST:
                    import_run_apply(run=run)
                    messages.info(request, "The import is queued; this page follows it.")
                elif mapping_form.is_valid():
                    import_run_remap(run=run, mapping=mapping_form.mapping())
            except NotApplicable as error:
                messages.error(request, str(error))
            return redirect(run.get_absolute_url())
        done, total = import_run_progress(run)
        info = registry.IMPORTERS.get(run.importer)
        context = self._context(
            request,
            f"Import {run.file_name}",
            run=run,
            importer=info,
            report=run.report,
            mapping_form=mapping_form,
            done=done,
            total=total,
            refresh=REFRESH_SECONDS if run.in_progress else None,
            changes=any(
                sum(run.report.get(name, {}).values()) for name in ("created", "updated", "deleted")
            ),
            list_url=reverse("admin:importers_importrun_changelist"),
            again_url=f"{reverse('admin:importers_importrun_new')}?importer={run.importer}",
        )
        return TemplateResponse(request, "admin/importers/importrun/run.html", context)
