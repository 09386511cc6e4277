"""The notices the reports app sends through the notifications: buffer (capacity) alerts.

:func:`register` (called from ``ReportsConfig.ready``) plugs them into
``notifications.sources``.
"""


def register() -> None:
    """Have the capacity scan find buffer alerts, and compose and route them."""
    from notifications import sources
    from notifications.models import Delivery

    from .capacity import alert_channels, capacity_alerts
    from .content import BUILDERS

    sources.register_plans("capacity", capacity_alerts)
    sources.register_team_channels(Delivery.Kind.CAPACITY, alert_channels)
    for kind, builder in BUILDERS.items():
        sources.register_content(kind, builder)
