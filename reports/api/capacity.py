"""A team's capacity settings at /api/v1/teams/<slug>/capacity/, with this sprint's buffer.

Every signed-in user reads them; staff and the team's managers change them (PUT replaces,
PATCH changes some). The alert webhook is a credential: only those who may change it see it.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.input_guards import SlugRelatedField
from core.netsafety import validate_webhook_url
from core.permissions import can_manage_team
from ownership.models import Team

from .. import capacity, services
from ..models import TeamCapacity


class BufferNowSerializer(serializers.Serializer):
    """The team's support load against its buffer in the sprint under way (load report)."""

    sprint = serializers.IntegerField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    at = serializers.DateTimeField(help_text="The instant the figures are counted up to.")
    capacity_hours = serializers.FloatField()
    buffer_hours = serializers.FloatField()
    support_hours = serializers.FloatField(help_text="Incident and bug hours so far.")
    buffer_used_percent = serializers.FloatField(source="used_percent", allow_null=True)
    buffer_left_hours = serializers.FloatField(
        source="left_hours", help_text="Negative once the buffer is overrun."
    )
    buffer_left_percent = serializers.FloatField(source="left_percent", allow_null=True)


class TeamCapacitySerializer(serializers.ModelSerializer):
    """A team's capacity buffer, head count, working day and where buffer alerts go."""

    team = SlugRelatedField(slug_field="slug", read_only=True)
    alert_webhook_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        validators=[validate_webhook_url],
        help_text="Webhook for the buffer alerts; empty: the team's chat webhook. Shown to "
        "staff and the team's managers only.",
    )
    current_sprint = serializers.SerializerMethodField()

    class Meta:
        model = TeamCapacity
        fields = [
            "team",
            "buffer_percent",
            "team_size",
            "hours_per_day",
            "alert_chat",
            "alert_webhook_url",
            "current_sprint",
        ]

    @extend_schema_field(BufferNowSerializer(allow_null=True))
    def get_current_sprint(self, obj):
        buffer = self.context.get("buffer")
        return BufferNowSerializer(buffer).data if buffer is not None else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("may_change"):
            data.pop("alert_webhook_url", None)
        return data


class TeamCapacityView(APIView):
    """A team's capacity settings and its buffer this sprint (GET, PUT, PATCH)."""

    permission_classes = [IsAuthenticated]
    serializer_class = TeamCapacitySerializer

    def _answer(self, request, team, settings):
        context = {
            "request": request,
            "may_change": can_manage_team(request, team.pk),
            "buffer": capacity.buffer_now(team=team),
        }
        return Response(TeamCapacitySerializer(settings, context=context).data)

    def _change(self, request, slug, *, partial):
        team = get_object_or_404(Team, slug=slug)
        if not can_manage_team(request, team.pk):
            raise PermissionDenied("Only staff and the team's managers may change its capacity.")
        current = capacity.team_capacity_get(team=team)
        serializer = TeamCapacitySerializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not partial:
            # PUT replaces: what the body leaves out goes back to its default.
            for name in services.CAPACITY_FIELDS:
                data.setdefault(name, TeamCapacity._meta.get_field(name).get_default())
        updated = services.team_capacity_update(team=team, **data)
        return self._answer(request, team, updated)

    @extend_schema(responses=TeamCapacitySerializer, operation_id="teams_capacity_retrieve")
    def get(self, request, slug):
        """Read the team's capacity settings and the buffer left in the current sprint."""
        team = get_object_or_404(Team, slug=slug)
        return self._answer(request, team, capacity.team_capacity_get(team=team))

    @extend_schema(
        request=TeamCapacitySerializer,
        responses=TeamCapacitySerializer,
        operation_id="teams_capacity_update",
    )
    def put(self, request, slug):
        """Replace the team's capacity settings (fields left out take their defaults)."""
        return self._change(request, slug, partial=False)

    @extend_schema(
        request=TeamCapacitySerializer,
        responses=TeamCapacitySerializer,
        operation_id="teams_capacity_partial_update",
    )
    def patch(self, request, slug):
        """Change some of the team's capacity settings."""
        return self._change(request, slug, partial=True)
