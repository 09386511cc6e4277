"""What a piece of duty covers and who is around it: the context of reminders and handoffs.

A person about to go on duty asks which team and components they answer for, whom they take
over from and who comes next, and where the rotation, the runbooks and the incidents are.
Components come from the support policies (:mod:`rota.selectors.coverage`) at the start of
the duty; neighbours from the rota's final schedule (:func:`rota.selectors.duty.handover`).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from rota.models import Rotation
from rota.selectors.coverage import components_covered
from rota.selectors.duty import LOOKBACK, handover, holder_label
from rota.selectors.schedule import final_schedule

from .messages import Link, Section


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _team(rotation: Rotation, piece):
    """Return the team whose duty this is: the team on a team shift, else the rotation's."""
    if piece.team is not None:
        return piece.team
    return rotation.team


def neighbours(rotation: Rotation, piece) -> tuple[str, str]:
    """Return who holds the rotation just before ``piece`` and just after it (or "nobody")."""
    segments = final_schedule(
        rotation=rotation, start=piece.start - LOOKBACK, end=piece.end + LOOKBACK
    )
    before, _ = handover(rotation, segments, piece.start)
    _, after = handover(rotation, segments, piece.end)
    return (
        holder_label(before) if before is not None else "nobody",
        holder_label(after) if after is not None else "nobody",
    )


def duty_sections(rotation: Rotation, piece, *, before: str | None = None) -> list[Section]:
    """Return the sections "What it covers", "Before and after" and "Links" for ``piece``.

    ``piece`` is a :class:`rota.selectors.duty.Piece` of ``rotation``; ``before`` names the
    outgoing holder when the caller knows it already (a handoff).
    """
    team = _team(rotation, piece)
    components = components_covered(rotation=rotation, at=piece.start)
    names = ", ".join(c.name for c in components) or "none routed to this rotation"
    covers = [
        f"Team: {team.name if team is not None else 'no team'}",
        f"Rotation: {rotation.name}",
        f"Components: {names}",
    ]
    previous, following = neighbours(rotation, piece)
    around = [
        f"Taking over from: {before or previous}",
        f"Next on duty: {following}",
    ]
    incidents = reverse("portal-incidents")
    if team is not None:
        incidents += "?" + urlencode({"team": team.slug})
    links = [Link("Rotation", _absolute(rotation.get_absolute_url()))]
    links += [f"Runbook of {c.name}: {c.runbook_url}" for c in components if c.runbook_url]
    links.append(Link("Incidents", _absolute(incidents)))
    return [
        Section("What it covers", covers),
        Section("Before and after", around),
        Section("Links", links),
    ]
