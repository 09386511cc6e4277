"""Importers that bring an organisation's schedules, history and configuration into Rota."""

import importlib
import pkgutil

from django.apps import AppConfig


class ImportersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "importers"
    verbose_name = "Moving to Rota"

    def ready(self):
        # Importers register themselves when imported: import every module of the importer
        # packages, so the command line and the admin list them all.
        for package in ("importers.history", "importers.schedules"):
            module = importlib.import_module(package)
            for info in pkgutil.iter_modules(module.__path__):
                importlib.import_module(f"{package}.{info.name}")
        from importers import rota_yaml  # noqa: F401 - registers the "rota-yaml" importer
