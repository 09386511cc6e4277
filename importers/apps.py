import importlib
import pkgutil

from django.apps import AppConfig


class ImportersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "importers"
    verbose_name = "Moving to Rota"

    def ready(self):
        # Importers register themselves when imported: load every module of importers.history
        # so that the command line and the admin list them all.
        from importers import history

        for module in pkgutil.iter_modules(history.__path__):
            importlib.import_module(f"{history.__name__}.{module.name}")
