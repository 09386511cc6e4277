"""Refuse input the database cannot compare with, before it reaches a query.

PostgreSQL text cannot hold a NUL character, and its ``timestamptz`` accepts UTC offsets of
at most 15:59 either way; SQLite takes both. A slug, username or time that breaks either rule
would answer 500 on PostgreSQL only, so each way in refuses it with 400 naming the field:

* ``RefuseUnstorableInput`` (middleware): every query parameter (name or value) and every
  URL part a view receives (``/api/v1/teams/<slug>/``, ``?team=``), for API and pages alike;
* ``SlugRelatedField``: a related row named by slug or username in a request body;
* ``FilterSet`` (and ``FilterBackend`` for ``filterset_fields``): the base of every list
  filter; its date-time filters refuse offsets beyond ±15:59 (PostgreSQL's limit:
  https://www.postgresql.org/docs/current/datatype-datetime.html), and its date and date-time
  filters values outside 2000-01-01..2100-12-31 (:mod:`core.timebounds`).
"""

import datetime
import json

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django_filters import rest_framework as filters
from rest_framework import serializers

from core.timebounds import validate_in_bounds

NUL_MESSAGE = "Null characters are not allowed."
MAX_OFFSET = datetime.timedelta(hours=15, minutes=59)
OFFSET_MESSAGE = (
    "Give a UTC offset between -15:59 and +15:59 (the real ones run from -12:00 to +14:00), "
    "e.g. 2026-12-01T10:00:00+01:00 or ...Z."
)


def has_nul(value) -> bool:
    """Whether ``value`` is text holding a NUL character."""
    return isinstance(value, str) and "\x00" in value


def validate_storable_offset(value) -> None:
    """Raise ``ValidationError`` for an aware date-time whose offset PostgreSQL cannot keep."""
    offset = value.utcoffset() if isinstance(value, datetime.datetime) else None
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValidationError(OFFSET_MESSAGE, code="offset")


class RefuseUnstorableInput:
    """Answer 400 (JSON ``{name: [message]}``) for a NUL character in the query or URL parts.

    Django decodes ``%00`` into the text a view reads; the view would otherwise look it up and
    fail on PostgreSQL. A URL part that a path converter refuses (``<slug:...>``) never
    reaches a view: that URL is a 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        errors = {}
        for name, values in request.GET.lists():
            if has_nul(name):
                errors.setdefault("query", [f"A parameter name holds a NUL: {name!r}."])
            elif any(has_nul(value) for value in values):
                errors[name] = [NUL_MESSAGE]
        for name, value in view_kwargs.items():
            if has_nul(value):
                errors[name] = [NUL_MESSAGE]
        if any(has_nul(value) for value in view_args):
            errors.setdefault("path", [NUL_MESSAGE])
        if not errors:
            return None
        return HttpResponse(
            json.dumps(errors), status=400, content_type="application/json; charset=utf-8"
        )


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's ``SlugRelatedField`` that refuses a NUL character instead of querying with it."""

    default_error_messages = {"null_characters": NUL_MESSAGE}

    def to_internal_value(self, data):
        if has_nul(data):
            self.fail("null_characters")
        return super().to_internal_value(data)


class _OffsetCheckedForm(forms.Form):
    """A filter form whose date-time fields refuse offsets PostgreSQL cannot keep, and whose
    date and date-time fields refuse values outside :mod:`core.timebounds` (2000-2100):
    SQLite cannot compare year 9999 at -15:59 once in UTC, nor can a day span end past it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField | forms.SplitDateTimeField):
                field.validators = [
                    *field.validators,
                    validate_storable_offset,
                    validate_in_bounds,
                ]
            elif isinstance(field, forms.DateField):
                field.validators = [*field.validators, validate_in_bounds]


class FilterSet(filters.FilterSet):
    """The base of Rota's list filters (django-filter), declared or generated from fields."""

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (_OffsetCheckedForm, form_class), {})


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, building ``filterset_fields`` filters on Rota's ``FilterSet``."""

    filterset_base = FilterSet
