"""``GET /api/v1/oncall/``: who responds to a component, a team or a rotation at an instant.

The answer comes from :mod:`rota.routing` and costs a fixed number of queries whatever the
number of shifts, rotations or components; "now" (no ``at``) is served from routing's cache,
one query while nothing changed, and so is an ``at`` inside the span of an answer already
found (:mod:`rota.routing_at`).
"""

import re

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core import caches
from ownership.api.serializers import InstantQuerySerializer

from .. import routing_at, routing_cache

# The JSON of cached answers: "now" ones by routing's cache stamp, "at" ones by ("at", stamp).
_rendered: dict = {}
caches.register("rota.api.oncall_json", _rendered.clear)

# "+01:00" in an unencoded query string arrives as " 01:00".
_SPACED_OFFSET = re.compile(r" (\d\d:?\d\d)$")


class OnCallQuerySerializer(InstantQuerySerializer):
    component = serializers.SlugField(required=False, max_length=100, help_text="Slug")
    team = serializers.SlugField(required=False, max_length=60, help_text="Slug")
    rotation = serializers.IntegerField(required=False, min_value=1, help_text="Id")

    TARGETS = ("component", "team", "rotation")

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            repeated = {
                name: f"Give one {name}, not {len(data.getlist(name))}."
                for name in (*self.TARGETS, "at")
                if len(data.getlist(name)) > 1
            }
            if repeated:
                raise serializers.ValidationError(repeated)
        value = data.get("at")
        if isinstance(value, str) and _SPACED_OFFSET.search(value):
            data = data.copy()
            data["at"] = _SPACED_OFFSET.sub(r"+\1", value)
        return super().to_internal_value(data)

    def validate(self, attrs):
        given = [name for name in self.TARGETS if name in attrs]
        if not given:
            raise serializers.ValidationError(
                {"component": "Give a component slug, a team slug or a rotation id."}
            )
        if len(given) > 1:
            raise serializers.ValidationError(
                dict.fromkeys(given[1:], "Give only one of component, team and rotation.")
            )
        return attrs


class OnCallPersonSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")
    shift_end = serializers.DateTimeField(help_text="When this person stops being on duty.")
    rotation = serializers.IntegerField(source="rotation.pk")
    rotation_name = serializers.CharField(source="rotation.name")
    covering = serializers.SerializerMethodField(help_text="On duty through an override.")

    def get_covering(self, oncall) -> bool:
        return oncall.override_id is not None


class PolicyBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    model = serializers.CharField()


class EscalationStepSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text="1 is paged first; only steps with someone.")
    role = serializers.CharField(
        help_text="first_line, primary, fallback, secondary, lead or manager"
    )
    users = serializers.SerializerMethodField()
    rotation = serializers.IntegerField(source="rotation.pk", allow_null=True, default=None)
    until = serializers.DateTimeField(allow_null=True, help_text="End of this duty (UTC).")

    def get_users(self, step) -> list[str]:
        return [user.username for user in step.users]


@extend_schema_field(OpenApiTypes.STR)
class SlugOf(serializers.ReadOnlyField):
    """The slug of a related object (null when there is none)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.slug


class FallbackSerializer(serializers.Serializer):
    users = serializers.SerializerMethodField(help_text="Usernames paged as the fallback.")
    rotation = serializers.IntegerField(source="rotation.pk", allow_null=True, default=None)
    team = SlugOf(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)

    def get_users(self, fallback) -> list[str]:
        return [user.username for user in fallback.users]


class OnCallSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    component = SlugOf()
    policy = PolicyBriefSerializer(allow_null=True)
    model = serializers.CharField(allow_null=True, help_text="The support model that applies.")
    responding_team = SlugOf()
    owning_team = SlugOf()
    primary = OnCallPersonSerializer(allow_null=True)
    secondary = OnCallPersonSerializer(allow_null=True)
    first_line = OnCallPersonSerializer(allow_null=True)
    escalation = EscalationStepSerializer(many=True)
    covering = serializers.BooleanField(
        help_text="The responding team covers another team's support shift (an override)."
    )
    fallback = FallbackSerializer(
        allow_null=True,
        help_text="Set when nobody was on call and the organisation fallback answers.",
    )
    warning = serializers.CharField(
        allow_null=True, help_text="Says when nobody is on call, and who (if anyone) is paged."
    )


class OnCallView(APIView):
    """Who is on call for a component, a team or a rotation at ``at`` (default now)."""

    @extend_schema(parameters=[OnCallQuerySerializer], responses=OnCallSerializer)
    def get(self, request):
        query = OnCallQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        target = next(name for name in OnCallQuerySerializer.TARGETS if name in data)
        value, at = data[target], data.get("at")
        try:
            if at is None:
                # Cached until the next boundary and dropped on any rota or catalog edit;
                # so is its JSON, of which only "at" changes from one call to the next.
                result, stamp = routing_cache.responders_now_versioned(**{target: value})
                body = _rendered.get(stamp)
                if body is None:
                    body = OnCallSerializer(result).data
                    if len(_rendered) >= 10_000:
                        _rendered.clear()
                    _rendered[stamp] = body
                return Response(
                    {**body, "at": serializers.DateTimeField().to_representation(result.at)}
                )
            # Cached for the span in which the answer holds (see rota.routing_at), with its JSON.
            result, stamp = routing_at.responders_at_versioned(at=at, **{target: value})
        except ObjectDoesNotExist:
            raise ValidationError({target: f"Unknown {target} {value!r}."}) from None
        if stamp is None:
            return Response(OnCallSerializer(result).data)
        body = _rendered.get(("at", stamp))
        if body is None:
            body = OnCallSerializer(result).data
            if len(_rendered) >= 10_000:
                _rendered.clear()
            _rendered["at", stamp] = body
        return Response({**body, "at": serializers.DateTimeField().to_representation(result.at)})
