"""The rotation page: what a rotation covers, who takes part and who is on duty next.

Reminders and handoff messages link here, so it answers what a person about to go on duty
asks: which components, in which order the participants take turns, who comes before and after.
"""

import datetime

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from core.pages import page

from .models import Rotation
from .selectors.coverage import components_covered
from .selectors.duty import holder_label, pieces
from .selectors.schedule import final_schedule

AHEAD = datetime.timedelta(weeks=12)
SHOWN = 12


@page
def rotation_detail(request, pk):
    """Show a rotation: its settings, participants, covered components and coming duty."""
    rotation = get_object_or_404(
        Rotation.objects.select_related("team", "sprint_calendar", "follows_team_rotation"),
        pk=pk,
    )
    now = timezone.now()
    coming = [
        (piece, holder_label(piece))
        for piece in pieces(final_schedule(rotation=rotation, start=now, end=now + AHEAD))
    ][:SHOWN]
    participants = [
        p.team.name if p.team_id else (p.user.get_full_name() or p.user.username)
        for p in rotation.participants.select_related("team", "user").order_by("position")
    ]
    return render(
        request,
        "rota/rotation.html",
        {
            "rotation": rotation,
            "participants": participants,
            "components": components_covered(rotation=rotation, at=now),
            "coming": coming,
        },
    )
