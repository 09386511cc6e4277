"""The incidents app's models; import them from here."""

from .bugs import Bug
from .choices import Severity, Urgency
from .escalation import EscalationPolicy, Page
from .incidents import Incident, TimelineEntry
from .integrations import AlertState, InboxItem, Integration

__all__ = [
    "AlertState",
    "Bug",
    "EscalationPolicy",
    "InboxItem",
    "Incident",
    "Integration",
    "Page",
    "Severity",
    "TimelineEntry",
    "Urgency",
]
