"""The rota's resources under /api/v1/ (portal.api calls ``register`` and includes these urls)."""

from django.urls import path

from .feeds import MyFeedView
from .oncall import OnCallView
from .settings import RoutingSettingsView
from .views import (
    OverrideViewSet,
    RotationViewSet,
    ShiftViewSet,
    SprintCalendarViewSet,
    SupportPolicyViewSet,
)
from .views_personal import SwapViewSet, UnavailabilityViewSet


def register(router):
    """Register the rota's viewsets on the shared /api/v1/ router."""
    router.register("sprint-calendars", SprintCalendarViewSet, basename="sprint-calendar")
    router.register("rotations", RotationViewSet, basename="rotation")
    router.register("shifts", ShiftViewSet, basename="shift")
    router.register("overrides", OverrideViewSet, basename="override")
    router.register("swaps", SwapViewSet, basename="swap")
    router.register("unavailability", UnavailabilityViewSet, basename="unavailability")
    router.register("support-policies", SupportPolicyViewSet, basename="support-policy")


urlpatterns = [
    path("oncall/", OnCallView.as_view(), name="oncall"),
    path("me/feed/", MyFeedView.as_view(), name="my-feed"),
    path("routing-settings/", RoutingSettingsView.as_view(), name="routing-settings"),
]
