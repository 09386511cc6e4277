"""A team's page: members, what it owns, who is on call, its rota as a timeline, its work."""

from types import SimpleNamespace

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from core.pages import page
from core.timeutil import zone
from incidents import selectors as incidents
from ownership import selectors
from reports.capacity import buffer_now
from rota.api.permissions import leave_reason_visible
from rota.routing_cache import responders_now
from rota.selectors import team_holidays_upcoming

from .timeline import DEFAULT_WEEKS, MAX_WEEKS, build_timeline, rotations_of_team

LIST_LIMIT = 20


def _weeks(request) -> int:
    try:
        weeks = int(request.GET.get("weeks", DEFAULT_WEEKS))
    except ValueError:
        return DEFAULT_WEEKS
    return max(1, min(MAX_WEEKS, weeks))


@page
def team_detail(request, slug):
    """Show a team with its on-call people, rota timeline, open incidents, triage queue and
    the support buffer left this sprint."""
    team = get_object_or_404(selectors.team_list(), slug=slug)
    open_incidents = list(
        incidents.open_incidents()
        .filter(Q(responding_team=team) | Q(owning_team=team))
        .order_by("severity", "-created_at")[:LIST_LIMIT]
    )
    triage = list(incidents.triage_queue(team=team)[:LIST_LIMIT])
    timeline = build_timeline(
        rotations=rotations_of_team(team), tz=request.viewer_zone, weeks=_weeks(request)
    )
    for row in timeline.rows:
        # A leave's reason is for the person, their managers and rota admins only.
        row.conflicts = [
            SimpleNamespace(
                user=c.user,
                team=c.team,
                start=c.start,
                end=c.end,
                shown_reason=c.unavailability.reason
                if leave_reason_visible(request, c.unavailability)
                else "",
            )
            for c in row.conflicts
        ]
    return render(
        request,
        "portal/team.html",
        {
            "team": team,
            "is_member": any(m.user_id == request.user.pk for m in team.memberships.all()),
            "components": selectors.components_owned_by(team=team).order_by("name"),
            "responders": responders_now(team=team),
            "timeline": timeline,
            "week_choices": (2, 4, 8, 12),
            "open_incidents": open_incidents,
            "triage": triage,
            "list_limit": LIST_LIMIT,
            "buffer": buffer_now(team=team),
            "holidays": team_holidays_upcoming(
                team=team, today=timezone.localdate(timezone=zone(team.timezone))
            ),
        },
    )
