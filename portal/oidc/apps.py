from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "portal.oidc"
    label = "oidc"
    verbose_name = "Sign-in with an identity provider"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401 - registers the configuration checks
