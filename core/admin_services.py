"""Admin saves and deletes that go through the domain services, written once.

A ModelAdmin whose writes must record what the API records (audit rows, cache touches, covers
for leave) names its service functions and mixes in :class:`ServiceWritesAdmin`::

    class ShiftAdmin(ServiceWritesAdmin, admin.ModelAdmin):
        service_create = staticmethod(services.shift_create)
        service_update = staticmethod(services.shift_update)
        service_delete = staticmethod(services.shift_delete)
        service_object = "shift"
        service_fields = SHIFT_FIELDS
        service_create_fields = ("rotation",)
        service_by = frozenset({"create", "update", "delete"})

A service left as None falls back to Django's own write for that operation.
"""

from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.exceptions import DomainError, error_text

# What a service may refuse a delete with: a domain refusal or Django's validation error.
DELETE_REFUSALS = (DomainError, ValidationError)


class DeleteRefused(Exception):
    """A service refused to delete a row; ``text`` says why, for the admin's message."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def saved_as(obj, saved) -> None:
    """Point the admin's form instance at the row a service created or changed."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj.refresh_from_db()


class ServiceWritesAdmin:
    """``save_model``, ``delete_model`` and ``delete_queryset`` through named services.

    - ``service_create(**data)`` returns the new row; ``service_update(<object>=row, **data)``
      and ``service_delete(<object>=row)`` take the stored row under the keyword
      ``service_object`` (e.g. ``"shift"``).
    - ``data`` is :meth:`service_data`: the form's cleaned values of ``service_fields`` (all of
      the form's fields when None), plus ``service_create_fields`` on create; on change only
      the changed ones (every one with ``service_update_all``). A change of nothing writes
      nothing.
    - ``service_by`` names the operations ("create", "update", "delete") that also take
      ``by=request.user``.
    - A delete the service refuses (a :class:`~core.exceptions.DomainError` such as
      ``Conflict``, or a ValidationError) is shown as an error message (``error_text``) and
      the row stays: the single delete redirects back to the row's page with only that
      message; the list's "Delete selected" deletes the others, counts only those deleted
      and names each refusal. Neither logs a deletion that did not happen.
    - :meth:`service_saved` runs after a save (messages, warnings); it does nothing here.
    """

    service_create = None
    service_update = None
    service_delete = None
    service_object = "obj"
    service_fields: tuple[str, ...] | None = None
    service_create_fields: tuple[str, ...] = ()
    service_by: frozenset[str] = frozenset()
    service_update_all = False

    def service_data(self, request, form, change) -> dict:
        """Return the keyword arguments (field name -> cleaned value) the service takes."""
        names = list(self.service_fields if self.service_fields is not None else form.fields)
        if not change:
            names += self.service_create_fields
        elif not self.service_update_all:
            names = [name for name in names if name in form.changed_data]
        return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}

    def service_saved(self, request, obj, form, change, saved) -> None:
        """Hook run after the service saved ``saved`` (``obj`` now shows the stored row)."""

    def _by(self, request, operation: str) -> dict:
        return {"by": request.user} if operation in self.service_by else {}

    def save_model(self, request, obj, form, change):
        service = self.service_update if change else self.service_create
        if service is None:
            return super().save_model(request, obj, form, change)
        data = self.service_data(request, form, change)
        if change:
            if not data:
                return None
            current = type(obj)._default_manager.get(pk=obj.pk)
            saved = service(**{self.service_object: current}, **self._by(request, "update"), **data)
        else:
            saved = service(**self._by(request, "create"), **data)
        saved_as(obj, saved)
        self.service_saved(request, obj, form, change, saved)
        return None

    def _service_delete(self, request, obj) -> None:
        """Delete ``obj`` through the service; raise :class:`DeleteRefused` if it refuses."""
        try:
            with transaction.atomic(using=router.db_for_write(type(obj))):
                self.service_delete(**{self.service_object: obj}, **self._by(request, "delete"))
        except DELETE_REFUSALS as exc:
            raise DeleteRefused(error_text(exc)) from exc

    def delete_model(self, request, obj):
        if self.service_delete is None:
            return super().delete_model(request, obj)
        # Raised through Django's delete_view (which rolls back its deletion log entry) to
        # delete_view below, which shows only the refusal.
        self._service_delete(request, obj)
        return None

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DeleteRefused as refused:
            self.message_user(request, refused.text, messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def delete_queryset(self, request, queryset):
        if self.service_delete is None:
            return super().delete_queryset(request, queryset)
        for obj in queryset:
            try:
                self._service_delete(request, obj)
            except DeleteRefused as refused:
                self.message_user(request, refused.text, messages.ERROR)
        return None

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.service_delete is not None and "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (service_delete_selected, name, description)
        return actions


def service_delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected" action, each row through the service, refusals counted out.

    The confirmation page (and its permission and protection checks) are Django's; on
    confirmation each row is deleted (and logged) on its own, a refused one is named in an
    error message and kept, and the success message counts only the rows deleted.
    """
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)
    _deletable, _counts, perms_needed, protected = modeladmin.get_deleted_objects(queryset, request)
    if protected:
        return delete_selected(modeladmin, request, queryset)
    if perms_needed:
        raise PermissionDenied
    deleted = 0
    for obj in queryset:
        try:
            with transaction.atomic(using=router.db_for_write(type(obj))):
                modeladmin.log_deletions(request, [obj])
                modeladmin._service_delete(request, obj)
        except DeleteRefused as refused:
            modeladmin.message_user(request, refused.text, messages.ERROR)
        else:
            deleted += 1
    if deleted:
        items = model_ngettext(modeladmin.opts, deleted)
        modeladmin.message_user(
            request, f"Successfully deleted {deleted} {items}.", messages.SUCCESS
        )
    return None
