"""Build the POST data of an admin change page the way a browser would send it unchanged."""

import datetime


def _value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return value


def _field_data(form, data):
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        key = bound.html_name
        if isinstance(value, datetime.datetime):
            data[f"{key}_0"] = value.date().isoformat()
            data[f"{key}_1"] = value.time().isoformat()
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = _value(value)


def page_data(response, **changes):
    """Return the form data of an admin add/change page, with ``changes`` applied."""
    data = {}
    form = response.context["adminform"].form
    _field_data(form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for inline_form in formset.forms:
            _field_data(inline_form, data)
    data = {key: value for key, value in data.items() if not key.endswith("-DELETE")}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
