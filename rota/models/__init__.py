"""The rota's models, split by subject; import them from here."""

from .availability import Unavailability
from .calendars import SprintCalendar
from .feeds import FeedToken
from .policies import SupportPolicy, SupportPolicyComponent
from .rotations import Rotation, RotationParticipant
from .settings import RoutingSettings
from .shifts import Override, Shift, ShiftChange, SwapRequest
from .versions import RotaVersion

__all__ = [
    "FeedToken",
    "Override",
    "Rotation",
    "RotaVersion",
    "RotationParticipant",
    "RoutingSettings",
    "Shift",
    "ShiftChange",
    "SprintCalendar",
    "SupportPolicy",
    "SupportPolicyComponent",
    "SwapRequest",
    "Unavailability",
]
