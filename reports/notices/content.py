"""What buffer alerts say, composed when they are sent.

A buffer alert reports the figures its scan found (they are a snapshot: "as of" says when).
Registered with ``notifications.sources`` by the reports app.
"""

import datetime

from django.conf import settings
from django.urls import reverse

from notifications.conf import setting
from notifications.messages import Audience, Content, Link, NoLongerApplies, Section, local
from notifications.models import Delivery
from ownership.models import Membership


def _day(value: datetime.date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _hours(value: float) -> str:
    return f"{round(value, 1):g} h"


def _percent(value: float) -> str:
    return f"{round(value, 1):g}%"


def _link(name: str, **kwargs) -> str:
    return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs)}"


def _holds_role(user_id: int, team_id: int, roles) -> bool:
    return Membership.objects.filter(team_id=team_id, user_id=user_id, role__in=roles).exists()


def capacity(delivery: Delivery, audience: Audience, now) -> Content:
    """Say how much of its sprint buffer a team's support work has taken."""
    found = delivery.payload
    team_id, name = found["team_id"], found["team_name"]
    if audience.user_id is not None and not _holds_role(
        audience.user_id, team_id, [Membership.Role.MANAGER]
    ):
        raise NoLongerApplies("The person no longer manages the team.")
    used, threshold = found["used_percent"], found["threshold"]
    left = found["buffer_hours"] - found["support_hours"]
    sprint = f"sprint {found['sprint']}"
    if threshold >= 100:
        subject = f"{name} has used up its support buffer this sprint ({_percent(used)})"
        intro = (
            f"Support work has taken all of the buffer {name} planned for {sprint}"
            + (f" and {_hours(-left)} more" if left < 0 else "")
            + ": further interrupts come out of planned work."
        )
        left_line = f"Left: nothing (over by {_hours(-left)})" if left < 0 else "Left: nothing"
    else:
        subject = f"{name} has used {_percent(used)} of its support buffer this sprint"
        intro = (
            f"Support work has taken {_percent(used)} of the buffer {name} planned for "
            f"{sprint}; {_hours(left)} are left."
        )
        left_line = f"Left: {_hours(left)} ({_percent(100 - used)})"
    first, last = (datetime.date.fromisoformat(found[k]) for k in ("first_day", "last_day"))
    slug = found["team"]
    return Content(
        subject=subject,
        intro=intro,
        sections=[
            Section(
                f"Sprint {found['sprint']}: {_day(first)} - {_day(last)}",
                [
                    f"Support work so far: {_hours(found['support_hours'])} "
                    "(incidents and bugs, counted as in the load report)",
                    f"Buffer: {_hours(found['buffer_hours'])} ({found['buffer_percent']}% of "
                    f"{_hours(found['capacity_hours'])} of capacity)",
                    left_line,
                    f"As of: {local(datetime.datetime.fromisoformat(found['at']), audience.tz)}",
                ],
            ),
            Section(
                "More",
                [
                    Link("Load report", f"{_link('reports-load')}?team={slug}"),
                    Link("Team page", _link("portal-team", slug=slug)),
                    f"Told once at each of {', '.join(f'{t}%' for t in _thresholds())} of "
                    "the buffer per sprint.",
                ],
            ),
        ],
    )


def _thresholds() -> list[int]:
    return sorted(setting("NOTIFICATIONS_CAPACITY_THRESHOLDS"))


BUILDERS = {
    Delivery.Kind.CAPACITY: capacity,
}
