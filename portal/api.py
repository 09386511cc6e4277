"""The /api/v1/ router: every app registers its resources here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from incidents.api import urls as incidents_urls
from notifications.api import urls as notifications_urls
from ownership.api.views import ComponentViewSet, OwnershipLookupView, TeamViewSet
from rota.api import urls as rota_urls

from .api_tokens import MyApiTokenListView, MyApiTokenView

router = DefaultRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("components", ComponentViewSet, basename="component")
rota_urls.register(router)
incidents_urls.register(router)
notifications_urls.register(router)

# The lookups other tools call most come first: URL resolution tries patterns in order.
urlpatterns = [
    path("ownership/", OwnershipLookupView.as_view(), name="ownership-lookup"),
    path("me/tokens/", MyApiTokenListView.as_view(), name="me-tokens"),
    path("me/tokens/<int:pk>/", MyApiTokenView.as_view(), name="me-token"),
    path("", include("rota.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("reports.api.urls")),
    *router.urls,
]
