"""Writes to incidents: creation with routing, the status machine, notes and edits."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.services import apply_fields
from ownership.models import Component, Membership, Team
from ownership.selectors import component_owner_at
from rota.routing import responders
from rota.routing_cache import responders_now

from ..exceptions import IllegalTransition
from ..models import Incident, Severity, TimelineEntry
from ..models.choices import default_urgency
from ._common import timeline_add, who
from .bugs import bug_create
from .escalation import escalation_advance, escalation_goes_on, escalation_stop

Status = Incident.Status

# Statuses only move forward; steps may be skipped (an alert that clears by itself resolves a
# triggered incident), never taken back.
TRANSITIONS = {
    Status.TRIGGERED: {Status.ACKNOWLEDGED, Status.MITIGATED, Status.RESOLVED},
    Status.ACKNOWLEDGED: {Status.MITIGATED, Status.RESOLVED},
    Status.MITIGATED: {Status.RESOLVED},
    Status.RESOLVED: set(),
}

# Relations an incident gets at creation from rows read in the same transaction (routing, the
# caller, the integration) and never changes: cleaning them again would look each row up
# once more (one query apiece); the database's foreign keys still check them.
ROUTED = (
    "component",
    "owning_team",
    "responding_team",
    "responder",
    "secondary_responder",
    "first_line_responder",
    "support_policy",
    "created_by",
    "integration",
)

EDITABLE = (
    "title",
    "description",
    "severity",
    "urgency",
    "ticket_url",
    "bug_url",
    "postmortem_url",
    "postmortem_done",
    "logged_minutes",
)


def _routing_text(incident: Incident) -> str:
    parts = [f"Triggered: {incident.severity} in {incident.component.slug}"]
    team = incident.responding_team.slug if incident.responding_team else "no team"
    policy = f", policy {incident.support_policy.name}" if incident.support_policy else ""
    parts.append(f"routed to {team} ({incident.support_model} support{policy})")
    people = [f"primary {who(incident.responder)}" if incident.responder else "no primary"]
    if incident.secondary_responder is not None:
        people.append(f"secondary {who(incident.secondary_responder)}")
    if incident.first_line_responder is not None:
        people.append(f"first line {who(incident.first_line_responder)}")
    parts.append(", ".join(people))
    text = "; ".join(parts) + "."
    if incident.routing_warning:
        text += f" {incident.routing_warning}"
    return text


# An incident opened this close to the present (an alert stamped when its request arrived) is
# routed with the per-process answer for "now": computing it costs a dozen queries, and an
# alert storm opens incidents in the same components again and again.
LIVE_ROUTING = datetime.timedelta(seconds=2)


def _route(component: Component, at, now):
    """Return who responds in ``component`` at ``at``: the cached answer for now when ``at``
    is within LIVE_ROUTING of now (it holds until the next shift boundary or rota or catalog
    edit), else computed for ``at``."""
    if abs(now - at) <= LIVE_ROUTING:
        return responders_now(component=component)
    return responders(component=component, at=at)


@transaction.atomic
def incident_create(
    *,
    title: str,
    component: Component,
    severity: str = Severity.SEV3,
    urgency: str | None = None,
    description: str = "",
    by=None,
    at=None,
    integration=None,
    fingerprint: str = "",
    ticket_url: str = "",
    bug_url: str = "",
    postmortem_url: str = "",
    escalate: bool = True,
) -> Incident:
    """Open an incident, routed to whoever is on support for ``component`` at ``at``.

    The owning team, responding team and on-call people are copied now and never re-routed.
    With ``escalate`` (the default) the first escalation step is paged at once.
    """
    now = timezone.now()
    at = at or now
    route = _route(component, at, now)
    period = component_owner_at(component=route.component, at=at)
    owning_team = period.team if period is not None else route.owning_team
    incident = Incident(
        title=title,
        description=description,
        severity=severity,
        urgency=urgency or default_urgency(severity),
        component=route.component,
        owning_team=owning_team,
        responding_team=route.responding_team,
        responder=route.primary.user if route.primary else None,
        secondary_responder=route.secondary.user if route.secondary else None,
        first_line_responder=route.first_line.user if route.first_line else None,
        support_policy=route.policy,
        support_model=route.model,
        nobody_paged=route.nobody,
        routing_warning=(route.warning or "")[:300],
        created_at=at,
        created_by=by,
        integration=integration,
        fingerprint=fingerprint,
        ticket_url=ticket_url,
        bug_url=bug_url,
        postmortem_url=postmortem_url,
    )
    # The constraints are the database's to enforce here: a new incident is triggered and has
    # no source; two alerts opening one fingerprint at once meet the unique index, which the
    # alert ingestion answers by joining the incident the other opened.
    incident.full_clean(exclude=ROUTED, validate_constraints=False)
    incident.save()
    if route.fallback is not None:
        incident.fallback_responders.set(route.fallback.users)
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.STATUS,
        text=_routing_text(incident),
        by=by,
        at=at,
        data={"status": Status.TRIGGERED},
    )
    if route.nobody:
        # Never silent: the incident is kept, and everyone reading it sees nobody was paged.
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.ESCALATION,
            text="Nobody was paged: nobody is on call and no organisation fallback is on duty. "
            "Set a fallback rotation or team in the routing settings.",
            by=by,
            at=at,
            data={"step": "none"},
        )
    if escalate:
        escalation_advance(incident=incident, now=at)
    return incident


def _locked(incident: Incident) -> Incident:
    """Return the incident re-read under a row lock, so transitions happen one at a time."""
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related(
            "component", "responding_team", "owning_team", "support_policy__first_line_rotation"
        )
        .get(pk=incident.pk)
    )


def _move(incident: Incident, target: str) -> None:
    if target not in TRANSITIONS[incident.status]:
        raise IllegalTransition(incident=incident, target=target)
    incident.status = target


def _acknowledge_fields(incident: Incident, by, at) -> None:
    if incident.acknowledged_at is None:
        incident.acknowledged_at = at
        incident.acknowledged_by = by


def _finish(incident: Incident, text: str, by, at, note: str, data: dict) -> Incident:
    if not escalation_goes_on(incident):
        escalation_stop(incident=incident)
    # A transition changes neither the fingerprint nor the source, and sets resolved_at
    # when it resolves: the constraints (which the database enforces too) cannot fail here,
    # and checking them cost a query and two savepoints apiece.
    incident.full_clean(exclude=ROUTED, validate_constraints=False)
    incident.save()
    if note:
        text = f"{text} {note.strip()}"
    timeline_add(
        incident=incident, kind=TimelineEntry.Kind.STATUS, text=text, by=by, at=at, data=data
    )
    return incident


@transaction.atomic
def incident_acknowledge(*, incident: Incident, by, at=None, note: str = "") -> Incident:
    """Acknowledge a triggered incident; escalation stops."""
    at = at or timezone.now()
    incident = _locked(incident)
    _move(incident, Status.ACKNOWLEDGED)
    _acknowledge_fields(incident, by, at)
    return _finish(
        incident, f"Acknowledged by {who(by)}.", by, at, note, {"status": incident.status}
    )


def mitigated_by_first_line(*, incident: Incident, by) -> bool:
    """Return whether ``by`` mitigates as the first line of an incident that has one.

    The first line is the first-line responder routed at creation, or anyone in an operations
    team or in the team of the support policy's first-line rotation.
    """
    if incident.first_line_responder_id is None or by is None:
        return False
    if by.pk == incident.first_line_responder_id:
        return True
    condition = Q(team__kind=Team.Kind.OPERATIONS)
    policy = incident.support_policy
    if policy is not None and policy.first_line_rotation_id is not None:
        team_id = policy.first_line_rotation.team_id
        if team_id is not None:
            condition |= Q(team_id=team_id)
    return Membership.objects.filter(condition, user=by).exists()


def _raise_bug_for_owner(incident: Incident, *, by, at, team=None) -> None:
    """File the follow-up bug for the owning team (or ``team``) once per incident."""
    if incident.bugs.exists():
        return
    owner = team or incident.owning_team
    bug = bug_create(
        title=f"Fix the cause of incident #{incident.pk}: {incident.title}"[:200],
        component=incident.component,
        severity=incident.severity,
        description=f"The first line mitigated incident #{incident.pk} "
        f"({incident.get_mitigation_kind_display().lower()}); the cause is still to fix.",
        team=owner,
        incident=incident,
        by=by,
        at=at,
    )
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.NOTE,
        text=f"Bug #{bug.pk} raised for {bug.team.name if bug.team else 'no team'} to fix the "
        "cause (the first line mitigated).",
        by=by,
        at=at,
        data={"bug": bug.pk},
    )


@transaction.atomic
def incident_mitigate(
    *, incident: Incident, by, kind: str, at=None, note: str = "", bug_team=None
) -> Incident:
    """Record that the impact is stopped (rollback, restart, config change or hotfix).

    When the first line mitigates (see :func:`mitigated_by_first_line`), a bug is raised for the
    owning team, or for ``bug_team`` (a Team) when the first line names another, linked to the
    incident and in that team's triage queue. ``bug_team`` from anyone else is refused.
    """
    if kind not in Incident.MitigationKind.values:
        raise ValidationError(
            {"kind": f"Choose one of {', '.join(Incident.MitigationKind.values)}."}
        )
    at = at or timezone.now()
    incident = _locked(incident)
    _move(incident, Status.MITIGATED)
    _acknowledge_fields(incident, by, at)  # whoever mitigates has responded
    incident.mitigated_at, incident.mitigated_by = at, by
    incident.mitigation_kind = kind
    first_line = mitigated_by_first_line(incident=incident, by=by)
    if bug_team is not None and not first_line:
        raise ValidationError(
            {"bug_team": "Only the first line names the team a follow-up bug goes to."}
        )
    label = Incident.MitigationKind(kind).label.lower()
    incident = _finish(
        incident,
        f"Mitigated by {who(by)} ({label}).",
        by,
        at,
        note,
        {"status": incident.status, "kind": kind},
    )
    if first_line:
        _raise_bug_for_owner(incident, by=by, at=at, team=bug_team)
    return incident


@transaction.atomic
def incident_resolve(
    *, incident: Incident, by=None, at=None, note: str = "", source: str = "person"
) -> Incident:
    """Resolve an incident; ``source="alert"`` when its alert cleared by itself.

    A person resolving a triggered incident has responded to it, so it counts as acknowledged
    too; an alert clearing by itself does not.
    """
    at = at or timezone.now()
    incident = _locked(incident)
    _move(incident, Status.RESOLVED)
    if source == "person":
        _acknowledge_fields(incident, by, at)
        text = f"Resolved by {who(by)}."
    else:
        text = "Resolved: the alert cleared."
    incident.resolved_at, incident.resolved_by = at, by
    return _finish(incident, text, by, at, note, {"status": incident.status, "source": source})


@transaction.atomic
def incident_note(*, incident: Incident, by, text: str, at=None) -> TimelineEntry:
    """Add a note to the incident's timeline."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write something in the note."})
    if len(text) > 10_000:
        raise ValidationError({"text": "A note is at most 10,000 characters."})
    return timeline_add(incident=incident, kind=TimelineEntry.Kind.NOTE, text=text, by=by, at=at)


@transaction.atomic
def incident_update(*, incident: Incident, by=None, **data) -> Incident:
    """Change an incident's description, severity, urgency, links, postmortem or time spent.

    Routing and status are not edited here: routing is fixed at creation and status moves
    only through the transitions.
    """
    incident = _locked(incident)
    before = {name: getattr(incident, name) for name in ("severity", "urgency", "postmortem_done")}
    changed = apply_fields(incident, EDITABLE, data)
    if incident.postmortem_done and incident.status != Status.RESOLVED:
        raise ValidationError(
            {"postmortem_done": "Mark the postmortem done once the incident is resolved."}
        )
    incident.full_clean()
    incident.save()
    notes = []
    for name in ("severity", "urgency"):
        if name in changed:
            notes.append(f"{name} {before[name]} -> {getattr(incident, name)}")
    if "postmortem_done" in changed:
        notes.append("postmortem done" if incident.postmortem_done else "postmortem reopened")
    other = sorted(set(changed) - {"severity", "urgency", "postmortem_done"})
    if other:
        notes.append(f"changed {', '.join(other)}")
    if notes:
        said = "; ".join(notes)
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.CHANGE,
            text=f"{who(by)}: {said}." if by is not None else f"{said[0].upper()}{said[1:]}.",
            by=by,
            data={"changed": changed},
        )
    if "urgency" in changed and incident.status == Status.TRIGGERED:
        escalation_advance(incident=incident, now=timezone.now())
    return incident
