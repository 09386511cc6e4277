"""The caller's own notification preferences."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import services
from .serializers import NotificationPreferenceSerializer


class MyNotificationsViewSet(viewsets.GenericViewSet):
    """How and when Rota tells the caller about their shifts (GET, PUT, PATCH)."""

    serializer_class = NotificationPreferenceSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends = []

    def get_object(self):
        """Return the caller's preferences (also for OPTIONS, which asks for the PUT form)."""
        return services.preference_get(user=self.request.user)

    @extend_schema(
        methods=["GET"],
        responses=NotificationPreferenceSerializer,
        operation_id="me_notification_preferences_retrieve",
    )
    @extend_schema(
        methods=["PUT"],
        request=NotificationPreferenceSerializer,
        responses=NotificationPreferenceSerializer,
        operation_id="me_notification_preferences_update",
    )
    @extend_schema(
        methods=["PATCH"],
        request=NotificationPreferenceSerializer,
        responses=NotificationPreferenceSerializer,
        operation_id="me_notification_preferences_partial_update",
    )
    @action(detail=False, methods=["get", "put", "patch"], url_path="notification-preferences")
    def notification_preferences(self, request):
        """Read or change the caller's preferences; PUT replaces them, PATCH changes some."""
        preference = self.get_object()
        if request.method == "GET":
            return Response(self.get_serializer(preference).data)
        serializer = self.get_serializer(
            preference, data=request.data, partial=request.method == "PATCH"
        )
        serializer.is_valid(raise_exception=True)
        preference = services.preference_update(user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(preference).data)
