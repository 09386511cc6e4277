"""The incidents resources under /api/v1/ (portal.api calls ``register`` and includes these)."""

from django.urls import path

from .escalation import EscalationPolicyViewSet
from .views import BugViewSet, IncidentViewSet, IntegrationViewSet
from .webhooks import alert_webhook


def register(router):
    """Register the incidents viewsets on the shared /api/v1/ router."""
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("bugs", BugViewSet, basename="bug")
    router.register("integrations", IntegrationViewSet, basename="integration")
    router.register("escalation-policies", EscalationPolicyViewSet, basename="escalation-policy")


urlpatterns = [
    path("integrations/<str:token>/alerts/", alert_webhook, name="alert-webhook"),
]
