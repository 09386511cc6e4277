from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_migrate, post_save
        from knox.models import AuthToken

        from core.permissions import rota_admins_permissions_sync

        from . import schema  # noqa: F401 - registers the OpenAPI extension
        from .tokens import token_deleted, user_saved

        # After django.contrib.auth's receiver (connected earlier), which makes the permissions.
        post_migrate.connect(rota_admins_permissions_sync, dispatch_uid="rota-admins-permissions")
        # Revoked tokens and deactivated users reach every process's hot path (portal.hotpath).
        post_delete.connect(token_deleted, sender=AuthToken, dispatch_uid="rota-token-deleted")
        post_save.connect(user_saved, sender=get_user_model(), dispatch_uid="rota-user-saved")
