"""The rota's resources under /api/v1/ (included by portal.api)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = [
    *router.urls,
]
