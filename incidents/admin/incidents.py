"""Admin for incidents (colour-coded, timeline inline, actions) and escalation delays.

Changes go through the services, as in the API: creation routes the incident, transitions
are actions, and the timeline is written by the services only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin_scope import RotaAdminOnly, TeamScopedAdmin
from core.admin_times import LocalTimesMixin, local_day_filter
from core.exceptions import DomainError, error_text

from .. import services
from ..models import EscalationPolicy, Incident, Page, TimelineEntry
from ._common import STATUS_COLOURS, URL_FIELDS, badge, severity_badge

# Times read in the responding team's zone, or the site's (settings.TIME_ZONE) without one.
INCIDENT_ZONE = ("responding_team__timezone",)
VIA_INCIDENT = ("incident__responding_team__timezone",)


class TimelineInline(LocalTimesMixin, admin.TabularInline):
    model = TimelineEntry
    zone_paths = VIA_INCIDENT
    extra = 0
    can_delete = False
    fields = ["at", "kind", "author", "text"]
    readonly_fields = fields
    verbose_name_plural = "timeline"

    def has_add_permission(self, request, obj=None):
        return False


class NoteInline(admin.StackedInline):
    """An empty form to add a note to the timeline (through the service)."""

    model = TimelineEntry
    extra = 1
    max_num = 1
    can_delete = False
    fields = ["text"]
    verbose_name = "note"
    verbose_name_plural = "add a note to the timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class PageInline(LocalTimesMixin, admin.TabularInline):
    model = Page
    zone_paths = VIA_INCIDENT
    extra = 0
    can_delete = False
    fields = ["created_at", "step", "user", "channel", "status", "sent_at", "error"]
    readonly_fields = fields
    verbose_name_plural = "pages sent"

    def has_add_permission(self, request, obj=None):
        return False


class IncidentCreationForm(forms.ModelForm):
    """Open an incident: the services route it, so only what a person knows is asked."""

    ticket_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Incident
        fields = ["title", "description", "severity", "urgency", "component", "ticket_url"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        urgency = self.fields["urgency"]
        urgency.required = False
        urgency.help_text = "Leave empty: interrupting for SEV1 and SEV2, backlog otherwise."


@admin.register(Incident)
class IncidentAdmin(TeamScopedAdmin, LocalTimesMixin, admin.ModelAdmin):
    team_paths = ("responding_team", "owning_team")
    # Anyone opens an incident on any component, as in the API; it is then the teams'.
    check_new_rows = False
    formfield_overrides = URL_FIELDS
    zone_paths = INCIDENT_ZONE
    list_display = [
        "id",
        "title",
        "severity_badge",
        "status_badge",
        "urgency",
        "component",
        "responding_team",
        "responder",
        "created_at",
        "acknowledged_at",
        "resolved_at",
    ]
    list_display_links = ["id", "title"]
    list_filter = [
        "status",
        "severity",
        "urgency",
        "support_model",
        "source",
        "responding_team",
        "owning_team",
        "postmortem_done",
        local_day_filter("created_at", "opened on (responding team's day)"),
    ]
    search_fields = [
        "title",
        "description",
        "component__slug",
        "component__name",
        "responder__username",
        "fingerprint",
        "source_id",
    ]
    list_select_related = ["component", "responding_team", "responder"]
    autocomplete_fields = ["component"]
    actions = ["acknowledge", "resolve"]
    routing_fields = [
        "component",
        "owning_team",
        "responding_team",
        "responder",
        "secondary_responder",
        "first_line_responder",
        "support_model",
        "support_policy",
    ]
    history_fields = [
        "status",
        "created_at",
        "created_by",
        "acknowledged_at",
        "acknowledged_by",
        "mitigated_at",
        "mitigated_by",
        "mitigation_kind",
        "resolved_at",
        "resolved_by",
        "integration",
        "fingerprint",
        "source",
        "source_id",
    ]
    readonly_fields = [*routing_fields, *history_fields]
    fieldsets = [
        (None, {"fields": ["title", "description", "severity", "urgency"]}),
        ("Routing (fixed at creation)", {"fields": routing_fields}),
        ("Status", {"fields": history_fields}),
        (
            "Follow-up",
            {
                "fields": [
                    "ticket_url",
                    "bug_url",
                    "postmortem_url",
                    "postmortem_done",
                    "logged_minutes",
                ]
            },
        ),
    ]

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, obj):
        return severity_badge(obj)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.get_status_display(), STATUS_COLOURS[obj.status])

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IncidentCreationForm
            kwargs["fields"] = IncidentCreationForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": IncidentCreationForm.Meta.fields})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else [TimelineInline, NoteInline, PageInline]

    def save_model(self, request, obj, form, change):
        try:
            if change:
                data = {name: form.cleaned_data[name] for name in form.changed_data}
                services.incident_update(incident=obj, by=request.user, **data)
                return
            data = dict(form.cleaned_data)
            created = services.incident_create(by=request.user, **data)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is not TimelineEntry:
            return super().save_formset(request, form, formset, change)
        # The timeline is written by the services: a note form becomes incident_note.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for note_form in formset.forms:
            text = note_form.cleaned_data.get("text") if note_form.is_valid() else None
            if text and not note_form.instance.pk:
                entry = services.incident_note(incident=form.instance, by=request.user, text=text)
                formset.new_objects.append(entry)

    def _transition(self, request, queryset, service, verb):
        done, refused = 0, []
        for incident in queryset:
            try:
                service(incident=incident, by=request.user)
                done += 1
            except DomainError as exc:  # a status that no longer allows the step
                refused.append(error_text(exc))
        if done:
            self.message_user(request, f"{verb} {done} incident(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Acknowledge the selected incidents")
    def acknowledge(self, request, queryset):
        self._transition(request, queryset, services.incident_acknowledge, "Acknowledged")

    @admin.action(description="Resolve the selected incidents")
    def resolve(self, request, queryset):
        self._transition(request, queryset, services.incident_resolve, "Resolved")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(RotaAdminOnly, admin.ModelAdmin):
    list_display = [
        "__str__",
        "support_policy",
        "primary_delay_minutes",
        "secondary_delay_minutes",
        "lead_delay_minutes",
    ]
    list_select_related = ["support_policy"]
