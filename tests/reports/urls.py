"""The portal's URLs plus the reports, for as long as the portal does not include them."""

from django.urls import include, path

from portal import urls as portal_urls

urlpatterns = [
    path("api/v1/", include("reports.api.urls")),
    path("reports/", include("reports.urls")),
    *portal_urls.urlpatterns,
]
