"""What the incidents app adds to the notifications: triage agendas, timebox notices, and the
open incidents listed in handoff messages.

:func:`register` (called from ``IncidentsConfig.ready``) plugs them into
``notifications.sources``.
"""


def register() -> None:
    """Have the regular notification scan find and compose triage agendas and timebox notices."""
    from notifications import sources

    from ..selectors import open_incidents_for_rotation
    from .content import BUILDERS
    from .timebox import timeboxes_run_out
    from .triage import triage_agendas

    sources.register_open_incidents(open_incidents_for_rotation)
    sources.register_plans("scan", triage_agendas)
    sources.register_plans("scan", timeboxes_run_out)
    for kind, builder in BUILDERS.items():
        sources.register_content(kind, builder)
