"""Admin of rotations for managers: turn order, generation, preview.

Sprint calendars, support policies and routing settings are in :mod:`rota.admin_policies`;
shifts and overrides in :mod:`rota.admin_shifts`, leave in :mod:`rota.admin_leave`, swaps in
:mod:`rota.admin_swaps`, the audit trail in :mod:`rota.admin_audit`. Every save goes through
:mod:`rota.services` (:class:`core.admin_services.ServiceWritesAdmin`), so the admin validates
and records changes exactly as the API does.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin_scope import TeamScopedAdmin
from core.admin_services import ServiceWritesAdmin, saved_as
from ownership.admin_people import add_people_source

# Importing the admin_* modules registers their admins (audit, shifts, leave, swaps, policies).
from . import (  # noqa: F401
    admin_audit,
    admin_leave,
    admin_policies,
    admin_shifts,
    admin_swaps,
    selectors,
    services,
)
from .admin_common import ROTATION_TEAM_PATHS
from .admin_forms import (
    GenerateForm,
    ParticipantFormSet,
    WeeklyWindowsField,
)
from .admin_preview import rotation_preview
from .models import Rotation, RotationParticipant
from .services.rotations import ROTATION_FIELDS

PREVIEW_WEEKS = (2, 4, 8, 13, 26)

# A manager picks people for overrides, shifts and leave among those of their rotations.
add_people_source(selectors.rotation_people)


# --- Rotations ------------------------------------------------------------------------------


class RotationParticipantInline(admin.TabularInline):
    model = RotationParticipant
    formset = ParticipantFormSet
    fields = ["position", "team", "user"]
    autocomplete_fields = ["team", "user"]
    extra = 1
    ordering = ["position", "id"]
    verbose_name = "participant"
    verbose_name_plural = (
        "turn order (lowest position first; teams in a team rotation, people in a person one)"
    )


@admin.register(Rotation)
class RotationAdmin(ServiceWritesAdmin, TeamScopedAdmin, admin.ModelAdmin):
    # Saving is below (the rotation and its turn order in one service call); deleting here.
    service_delete = staticmethod(services.rotation_delete)
    service_object = "rotation"
    # The teams a rotation concerns, as rota.api.permissions.rotation_team_ids counts them.
    team_paths = ROTATION_TEAM_PATHS
    owner_fields = ("team",)
    change_form_template = "admin/rota/rotation/change_form.html"
    list_display = [
        "name",
        "kind",
        "team",
        "role",
        "shift_length",
        "handoff",
        "turn_order",
        "active",
    ]
    list_filter = [
        "kind",
        "role",
        "active",
        "shift_length_unit",
        "restriction",
        ("team", admin.RelatedOnlyFieldListFilter),
        ("sprint_calendar", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "name",
        "description",
        "team__name",
        "team__slug",
        "participants__user__username",
        "participants__team__slug",
    ]
    list_select_related = ["team"]
    autocomplete_fields = ["team", "sprint_calendar", "follows_team_rotation"]
    inlines = [RotationParticipantInline]
    actions = ["generate_shifts"]
    fieldsets = [
        (None, {"fields": ["name", "description", "kind", "team", ("role", "layer"), "active"]}),
        (
            "Shifts",
            {
                "fields": [
                    ("shift_length_count", "shift_length_unit"),
                    "sprint_calendar",
                    ("handoff_time", "timezone"),
                    "start_date",
                    "horizon_weeks",
                ]
            },
        ),
        (
            "Hours of duty",
            {
                "fields": [
                    "restriction",
                    ("business_hours_start", "business_hours_end"),
                    "restriction_windows",
                ]
            },
        ),
        (
            "Who takes the turns",
            {"fields": ["follows_team_rotation", "fairness", "swaps_require_approval"]},
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "restriction_windows":
            return WeeklyWindowsField(required=False, label="Weekly windows")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        participants = RotationParticipant.objects.select_related("team", "user")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("participants", queryset=participants))
        )

    @admin.display(description="shift length", ordering="shift_length_unit")
    def shift_length(self, rotation):
        count = rotation.shift_length_count
        unit = rotation.get_shift_length_unit_display().lower()
        return f"{count} {unit[:-1] if count == 1 else unit}"

    @admin.display(description="handoff", ordering="handoff_time")
    def handoff(self, rotation):
        return f"{rotation.handoff_time:%H:%M} {rotation.timezone}"

    @admin.display(description="turn order")
    def turn_order(self, rotation):
        if rotation.follows_team_rotation_id:
            return "members of the team on support"
        names = [str(p.team or p.user) for p in rotation.participants.all()]
        return ", ".join(names) or "-"

    # Saving: the rotation and its turn order are written by one service call, so that a
    # change of both re-deals the future shifts once.

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ROTATION_FIELDS if name in form.fields}
        if change:
            request._rota_rotation_changes = {
                name: data[name] for name in form.changed_data if name in data
            }
            return
        saved_as(obj, services.rotation_create(**data))

    def save_related(self, request, form, formsets, change):
        rotation = form.instance
        participants = None
        for formset in formsets:
            if isinstance(formset, ParticipantFormSet) and formset.has_changed():
                participants = formset.ordered_participants()
            # The service wrote the rows; the change message reads these lists.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if change:
            changes = getattr(request, "_rota_rotation_changes", {})
            services.rotation_update(rotation=rotation, participants=participants, **changes)
        elif participants is not None:
            services.rotation_set_participants(
                rotation=rotation, participants=participants, regenerate=False
            )

    # Generation: an action for many rotations, a button on one rotation's page.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/generate/",
                self.admin_site.admin_view(self.generate_view),
                name="rota_rotation_generate",
            ),
            *super().get_urls(),
        ]

    def _generate(self, request, rotations, until) -> None:
        created = updated = deleted = conflicts = 0
        for rotation in rotations:
            result = services.rotation_regenerate(rotation=rotation, until=until)
            created += result.created
            updated += result.updated
            deleted += result.deleted
            conflicts += len(result.conflicts)
        self.message_user(
            request,
            f"Created {created} shift{'s' * (created != 1)} until {until:%d %b %Y} in "
            f"{len(rotations)} rotation{'s' * (len(rotations) != 1)} "
            f"({updated} future shifts re-dealt, {deleted} removed; hand-edited ones kept).",
            messages.SUCCESS,
        )
        if conflicts:
            self.message_user(
                request,
                f"{conflicts} shift{'s' * (conflicts != 1)} went to someone on leave because "
                "everyone was away; see the preview on the rotation's page.",
                messages.WARNING,
            )

    @staticmethod
    def _default_until(rotations) -> datetime.date:
        weeks = max((r.horizon_weeks for r in rotations), default=26)
        return timezone.localdate() + datetime.timedelta(weeks=weeks)

    def _generate_page(self, request, rotations, form, **context):
        return TemplateResponse(
            request,
            "admin/rota/rotation/generate.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Generate shifts until…",
                "rotations": rotations,
                "form": form,
                "media": self.media + form.media,
                **context,
            },
        )

    @admin.action(description="Generate shifts until…", permissions=["change"])
    def generate_shifts(self, request, queryset):
        rotations = list(queryset)
        if "apply" in request.POST:
            form = GenerateForm(request.POST)
            if form.is_valid():
                self._generate(request, rotations, form.cleaned_data["until"])
                return None
        else:
            form = GenerateForm(initial={"until": self._default_until(rotations)})
        return self._generate_page(
            request,
            rotations,
            form,
            action="generate_shifts",
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )

    def generate_view(self, request, object_id):
        rotation = self.get_object(request, unquote(object_id))
        if rotation is None:
            raise Http404("No such rotation.")
        if not self.has_change_permission(request, rotation):
            raise PermissionDenied
        change_url = reverse("admin:rota_rotation_change", args=[rotation.pk])
        if request.method == "POST":
            form = GenerateForm(request.POST)
            if form.is_valid():
                self._generate(request, [rotation], form.cleaned_data["until"])
                return HttpResponseRedirect(change_url)
        else:
            form = GenerateForm(initial={"until": self._default_until([rotation])})
        return self._generate_page(request, [rotation], form, original=rotation)

    # The preview of the coming weeks under the form.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        rotation = self.get_object(request, unquote(object_id))
        if rotation is not None:
            try:
                weeks = int(request.GET.get("weeks", 4))
            except ValueError:
                weeks = 4
            weeks = min(max(weeks, 1), 26)
            extra_context["preview"] = rotation_preview(rotation=rotation, weeks=weeks)
            extra_context["preview_weeks"] = PREVIEW_WEEKS
        return super().change_view(request, object_id, form_url, extra_context)
