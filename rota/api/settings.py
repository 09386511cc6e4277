"""``/api/v1/routing-settings/``: the organisation fallback and the tiers the rota check guards.

One resource (no id): everyone signed in reads it; staff change it with PUT or PATCH.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..routing import routing_settings
from .permissions import request_is_rota_admin
from .serializers import RoutingSettingsSerializer


class RoutingSettingsView(APIView):
    """The organisation's routing settings: who answers when nobody is on call."""

    serializer_class = RoutingSettingsSerializer

    @extend_schema(responses=RoutingSettingsSerializer)
    def get(self, request):
        return Response(RoutingSettingsSerializer(routing_settings()).data)

    @extend_schema(request=RoutingSettingsSerializer, responses=RoutingSettingsSerializer)
    def put(self, request):
        return self._change(request, partial=False)

    @extend_schema(request=RoutingSettingsSerializer, responses=RoutingSettingsSerializer)
    def patch(self, request):
        return self._change(request, partial=True)

    def _change(self, request, *, partial):
        if not request_is_rota_admin(request):
            raise PermissionDenied("Only staff change the routing settings.")
        serializer = RoutingSettingsSerializer(
            routing_settings(), data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        updated = services.routing_settings_update(**serializer.validated_data)
        return Response(RoutingSettingsSerializer(updated).data)
