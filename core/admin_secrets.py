"""Write-only secrets in the admin: webhook URLs and signing secrets are set, never shown.

A chat webhook URL is a credential (whoever holds it posts into the channel), like an
integration's signing secret. The admin shows such a field as its state only — "set — ends
…abcd" or "not set" — with an empty input to type a replacement and a box to remove it.
Leaving the input empty keeps the stored value. A page that is read-only for the user shows
the same masked state. The API follows the same rule for its read answers.

Use :class:`SecretFieldsAdmin` on a ModelAdmin and list the model's field names in
``secret_fields``.
"""

from django import forms
from django.utils.html import format_html

TAIL = 4


def masked(value) -> str:
    """Return the state of a secret: "set — ends …abcd" (its last 4 characters) or "not set"."""
    if not value:
        return "not set"
    value = str(value)
    if len(value) <= 3 * TAIL:  # too short to show a tail without giving most of it away
        return "set"
    return f"set — ends …{value[-TAIL:]}"


class SecretInput(forms.PasswordInput):
    """An empty input for a new value, the stored value's state, and a box to remove it."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})}, render_value=False)
        self.status = "not set"

    def render(self, name, value, attrs=None, renderer=None):
        box = ""
        if self.status != "not set":
            box = format_html(
                ' <label><input type="checkbox" name="{}_clear"> remove</label>', name
            )
        return format_html(
            '<span class="secret-status">{}</span><br>{}{}',
            self.status,
            super().render(name, None, attrs, renderer),
            box,
        )


class SecretFieldsForm(forms.ModelForm):
    """A ModelForm whose ``secret_fields`` keep their stored value unless replaced or removed."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kept = {}
        for name in self.secret_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            current = getattr(self.instance, name, "") or ""
            field.widget = SecretInput()
            field.widget.status = masked(current)
            field.help_text = " ".join(
                part
                for part in (
                    str(field.help_text or ""),
                    "Shown only as set or not: type a new value to replace it, leave the box "
                    "empty to keep it.",
                )
                if part
            )
            key = self.add_prefix(name)
            if self.is_bound and not self.data.get(key) and not self.data.get(f"{key}_clear"):
                kept[key] = current
        if kept:
            data = self.data.copy()
            for key, value in kept.items():
                data[key] = value
            self.data = data


class SecretFieldsAdmin:
    """Make ``secret_fields`` write-only on the admin's forms and masked on read-only pages."""

    secret_fields: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.pop("form", self.form)
        if not issubclass(base, SecretFieldsForm):
            base = type(base.__name__, (SecretFieldsForm, base), {})
        base = type(base.__name__, (base,), {"secret_fields": self.secret_fields})
        return super().get_form(request, obj, change, form=base, **kwargs)

    def _masked_name(self, name: str) -> str:
        return f"{name}_state"

    def _read_only_page(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._read_only_page(request, obj):
            return fieldsets
        # Read-only pages print field values as they are: show the state instead.
        swap = {name: self._masked_name(name) for name in self.secret_fields}
        seen = set()
        return [
            (title, {**options, "fields": _swapped(options.get("fields", ()), swap, seen)})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._read_only_page(request, obj):
            readonly += [self._masked_name(name) for name in self.secret_fields]
        return readonly

    def __getattr__(self, attr):
        for name in type(self).secret_fields:
            if attr == f"{name}_state":

                def state(obj, name=name):
                    return masked(getattr(obj, name, ""))

                state.short_description = name.replace("_", " ")
                return state
        raise AttributeError(attr)


def _swapped(names, swap, seen):
    """Replace the names ``swap`` knows (nested rows too), each state shown only once."""
    out = []
    for name in names:
        if isinstance(name, list | tuple):
            out.append(type(name)(_swapped(name, swap, seen)))
            continue
        name = swap.get(name, name)
        if name in swap.values():
            if name in seen:
                continue
            seen.add(name)
        out.append(name)
    return out
