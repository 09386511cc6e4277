"""The incidents app's admin pages, one module per area."""

from .alerts import AlertStateAdmin, InboxItemAdmin, IntegrationAdmin
from .bugs import BugAdmin
from .incidents import EscalationPolicyAdmin, IncidentAdmin

__all__ = [
    "AlertStateAdmin",
    "BugAdmin",
    "EscalationPolicyAdmin",
    "InboxItemAdmin",
    "IncidentAdmin",
    "IntegrationAdmin",
]
