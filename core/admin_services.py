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
from django.core.exceptions import ValidationError


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
    - A ValidationError of a delete is shown as an error message and the row stays.
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

    def delete_model(self, request, obj):
        if self.service_delete is None:
            return super().delete_model(request, obj)
        try:
            self.service_delete(**{self.service_object: obj}, **self._by(request, "delete"))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        return None

    def delete_queryset(self, request, queryset):
        if self.service_delete is None:
            return super().delete_queryset(request, queryset)
        for obj in queryset:
            self.delete_model(request, obj)
        return None
