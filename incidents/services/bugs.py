"""Writes to bugs: filing, the timeboxed investigation and the triage outcome."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.services import apply_fields
from core.timeutil import zone
from ownership.models import Component
from rota.routing import responders

from ..exceptions import BugStateError, person_name
from ..models import Bug, Severity
from ..workdays import add_working_days

EDITABLE = ("title", "description", "severity", "team", "ticket_url", "timebox_days", "incident")


def bug_fixing_team(*, component: Component, at=None):
    """Return the team that fixes bugs in ``component``: the one its support policy names.

    Under total ownership that is the owning team; under a dedicated or rotating model, the
    support team (on shift) fixes what it finds, as the model says.
    """
    route = responders(component=component, at=at)
    return route.responding_team or route.owning_team


@transaction.atomic
def bug_create(
    *,
    title: str,
    component: Component,
    severity: str = Severity.SEV3,
    description: str = "",
    team=None,
    incident=None,
    ticket_url: str = "",
    timebox_days: int = 1,
    by=None,
    at=None,
) -> Bug:
    """File a bug for the team that fixes ``component`` (unless ``team`` is given)."""
    at = at or timezone.now()
    bug = Bug(
        title=title,
        component=component,
        severity=severity,
        description=description,
        team=team if team is not None else bug_fixing_team(component=component, at=at),
        incident=incident,
        ticket_url=ticket_url,
        timebox_days=timebox_days,
        reported_by=by,
        created_at=at,
    )
    bug.full_clean()
    bug.save()
    return bug


@transaction.atomic
def bug_update(*, bug: Bug, **data) -> Bug:
    """Change a bug's description, severity, team, ticket link or timebox length."""
    changed = apply_fields(bug, EDITABLE, data)
    if "timebox_days" in changed and bug.investigation_started_at is not None:
        bug.timebox_ends_at = _timebox_end(bug, bug.investigation_started_at)
    bug.full_clean()
    bug.save()
    return bug


def _timebox_end(bug: Bug, start):
    tz = bug.team.timezone if bug.team_id else "UTC"
    return add_working_days(start, bug.timebox_days, tz)


def _locked(bug: Bug) -> Bug:
    return (
        Bug.objects.select_for_update(of=("self",))
        .select_related("team", "component", "investigator")
        .get(pk=bug.pk)
    )


def _named(bug: Bug, *, article: str = "The") -> str:
    """Name a bug by its title and component: 'The bug "Refunds stuck" on Billing API'."""
    return f'{article} bug "{bug.title}" on {bug.component.name}'


def _when(bug: Bug, instant) -> str:
    """Show an instant in the fixing team's time zone (UTC without a team), zone named."""
    tz_name = bug.team.timezone if bug.team_id else "UTC"
    local = instant.astimezone(zone(tz_name))
    return f"{local:%a} {local.day} {local:%b %H:%M} ({tz_name})"


@transaction.atomic
def bug_investigation_start(
    *, bug: Bug, by, investigator=None, at=None, timebox_days: int | None = None
) -> Bug:
    """Start the timeboxed investigation; the timebox ends after its working days."""
    bug = _locked(bug)
    if bug.outcome:
        raise BugStateError(f"{_named(bug)} is decided ({bug.get_outcome_display().lower()}).")
    if bug.investigation_started_at is not None:
        who = person_name(bug.investigator) if bug.investigator else "Someone"
        raise BugStateError(
            f"{who} started investigating {_named(bug, article='the')} at "
            f"{_when(bug, bug.investigation_started_at)} already."
        )
    at = at or timezone.now()
    if timebox_days is not None:
        bug.timebox_days = timebox_days
    bug.investigator = investigator or by
    bug.investigation_started_at = at
    bug.full_clean()
    bug.timebox_ends_at = _timebox_end(bug, at)
    bug.save()
    return bug


@transaction.atomic
def bug_decide(
    *,
    bug: Bug,
    outcome: str,
    by,
    story_url: str = "",
    story_points: int | None = None,
    at=None,
) -> Bug:
    """Record the outcome: fixed, turned into an estimated story (link and points), won't fix.

    Finishing an investigation that ran past its timebox is allowed; the bug stays flagged
    as having overrun.
    """
    if outcome not in Bug.Outcome.values:
        raise ValidationError({"outcome": f"Choose one of {', '.join(Bug.Outcome.values)}."})
    if outcome == Bug.Outcome.STORY:
        errors = {}
        if not story_url:
            errors["story_url"] = "Link the story the bug was turned into."
        if story_points is None:
            errors["story_points"] = "Give the story's estimate in points."
        if errors:
            raise ValidationError(errors)
    bug = _locked(bug)
    if bug.outcome:
        raise BugStateError(
            f"{_named(bug)} is decided already ({bug.get_outcome_display().lower()})."
        )
    at = at or timezone.now()
    bug.outcome = outcome
    bug.story_url = story_url if outcome == Bug.Outcome.STORY else ""
    bug.story_points = story_points if outcome == Bug.Outcome.STORY else None
    bug.decided_by = by
    bug.closed_at = at
    if bug.investigation_started_at is not None:
        bug.investigation_finished_at = at
    bug.full_clean()
    bug.save()
    return bug
