from django.apps import AppConfig


class RotaConfig(AppConfig):
    name = "rota"
    verbose_name = "Rota"

    def ready(self):
        from ownership.signals import team_holidays_changed

        from .services.public_holidays import sync_on_team_holidays_changed

        team_holidays_changed.connect(
            sync_on_team_holidays_changed, dispatch_uid="rota.team_holidays_changed"
        )
