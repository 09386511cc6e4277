from django.apps import AppConfig


class ImportersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "importers"
    verbose_name = "Moving to Rota"

    def ready(self):
        from importers import rota_yaml  # noqa: F401 - registers the "rota-yaml" importer
