"""The notifications' resources under /api/v1/ (portal.api calls ``register``)."""

from .views import MyNotificationsViewSet


def register(router):
    """Register /api/v1/me/notification-preferences/ on the shared router."""
    router.register("me", MyNotificationsViewSet, basename="me-notifications")
