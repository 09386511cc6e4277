"""The portal's URLs plus the incidents API, for as long as portal.api does not include it."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from incidents.api import urls as incident_urls
from portal import urls as portal_urls

router = DefaultRouter()
incident_urls.register(router)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/", include(incident_urls)),
    *portal_urls.urlpatterns,
]
