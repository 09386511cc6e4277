from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        from core.permissions import rota_admins_permissions_sync

        from . import schema  # noqa: F401 - registers the OpenAPI extension

        # After django.contrib.auth's receiver (connected earlier), which makes the permissions.
        post_migrate.connect(rota_admins_permissions_sync, dispatch_uid="rota-admins-permissions")
