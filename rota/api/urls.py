"""The rota's resources under /api/v1/ (portal.api calls ``register`` and includes these urls)."""


def register(router):
    """Register the rota's viewsets on the shared /api/v1/ router."""


# Views that are not viewsets (e.g. the on-call lookup) go here.
urlpatterns = []
