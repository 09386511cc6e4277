"""The site's URLs as they will be once portal.api and portal.urls include the notifications'."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

import portal.urls
from notifications.api import urls as api_urls

router = DefaultRouter()
api_urls.register(router)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("", include("notifications.urls")),
    *portal.urls.urlpatterns,
]
