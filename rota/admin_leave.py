"""Admin of leave and holidays: saved through the services, which cover or swap the clashing
shifts; what they did, and any clash left uncovered, is said in messages."""

from django.contrib import admin, messages

from core.admin_scope import TeamScopedAdmin
from core.admin_services import ServiceWritesAdmin
from core.timeutil import ONE_DAY, UTC, start_of_day

from . import selectors, services
from .admin_common import warn_leave
from .admin_import import import_urls
from .models import Unavailability
from .services.leave import leave_result_lines


@admin.register(Unavailability)
class UnavailabilityAdmin(ServiceWritesAdmin, TeamScopedAdmin, admin.ModelAdmin):
    # The service compares with the stored row to see what moved (and re-makes the covers
    # for new dates), so it is handed every field, changed or not.
    service_create = staticmethod(services.unavailability_create)
    service_update = staticmethod(services.unavailability_update)
    service_delete = staticmethod(services.unavailability_delete)
    service_object = "unavailability"
    service_by = frozenset({"create", "update"})
    service_update_all = True
    # As in the API: a manager enters their team's leave and that of its members.
    team_paths = ("team", "user__memberships__team")
    owner_fields = ("team",)
    list_display = ["who", "start_date", "end_date", "kind", "reason", "source"]
    list_filter = ["kind", "source", ("team", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "start_date"
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "team__name",
        "reason",
    ]
    list_select_related = ["user", "team"]
    # Latest first: the list opens on the coming and newly entered leave, not on the oldest
    # history (a lived-in organisation has pages of past leave and holidays).
    ordering = ["-start_date", "-id"]
    autocomplete_fields = ["user", "team"]
    fields = ["user", "team", "start_date", "end_date", "kind", "reason", "source", "created_by"]
    readonly_fields = ["source", "created_by"]

    service_fields = ("user", "team", "start_date", "end_date", "reason", "kind")

    def get_urls(self):
        return import_urls(self) + super().get_urls()

    @admin.display(description="who")
    def who(self, entry):
        return str(entry.team) if entry.team_id else entry.user.username

    def service_saved(self, request, obj, form, change, saved):
        """Say what acting on the leave did: the covers and swaps made (names, rotation, local
        times), then any clash still uncovered."""
        done, _ = leave_result_lines(saved.settled)
        if done:
            self.message_user(request, "Acting on this leave: " + " ".join(done), messages.SUCCESS)
        elif not change or set(form.changed_data) - {"reason"}:
            # (A change of reason alone acts on nothing: nothing to report.)
            self.message_user(request, "No coming shift needed a cover or a swap.", messages.INFO)
        warn_leave(self, request, self._clashes(obj))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Show the change page with a warning for each clash of this leave left uncovered."""
        if request.method == "GET":
            entry = self.get_object(request, object_id)
            if entry is not None:
                warn_leave(self, request, self._clashes(entry))
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _clashes(entry):
        # A day away is read in each rotation's own time zone: look a day either side.
        start = start_of_day(entry.start_date - ONE_DAY, UTC)
        end = start_of_day(entry.end_date + 2 * ONE_DAY, UTC)
        conflicts = selectors.leave_conflicts(start=start, end=end)
        return [c for c in conflicts if c.unavailability.pk == entry.pk]
