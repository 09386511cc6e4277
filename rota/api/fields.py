"""Fields shared by the rota API's serializers: aware instants, HH:MM times, teams and people."""

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from core.input_guards import SlugRelatedField
from ownership.models import Team

from .permissions import leave_reason_visible

User = get_user_model()

HH_MM = "%H:%M"


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that must carry a UTC offset (a bare local time is ambiguous)."""

    default_error_messages = {
        "naive": "Give the time with a UTC offset, e.g. 2025-03-31T09:00:00+01:00 or ...Z.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


def hh_mm_field(**kwargs):
    return serializers.TimeField(format=HH_MM, input_formats=[HH_MM, "%H:%M:%S"], **kwargs)


def team_field(**kwargs):
    kwargs.setdefault("allow_null", True)
    kwargs.setdefault("required", False)
    return SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), **kwargs)


def user_field(**kwargs):
    kwargs.setdefault("allow_null", True)
    kwargs.setdefault("required", False)
    return SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


def reason_for(context, entry) -> str | None:
    """Return ``entry``'s reason if the caller may read it (leave_reason_visible), else None."""
    request = context.get("request")
    if request is None or leave_reason_visible(request, entry):
        return entry.reason
    return None
