from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "ownership"
    verbose_name = "Ownership"
