"""Reads of incidents, bugs and integrations."""

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.utils import timezone

from core.permissions import is_rota_admin, user_managed_team_ids
from rota.models import Rotation

from .models import Bug, Incident, Integration, TimelineEntry


def incident_list():
    """Return incidents with everything their list rows show, in one query."""
    return Incident.objects.select_related(
        "component",
        "owning_team",
        "responding_team",
        "responder",
        "secondary_responder",
        "first_line_responder",
        "support_policy",
        "created_by",
        "acknowledged_by",
        "mitigated_by",
        "resolved_by",
        "integration",
    )


def incident_timeline(*, incident: Incident):
    return TimelineEntry.objects.filter(incident=incident).select_related("author")


def open_incidents():
    """Return the live open incidents: not resolved, and not imported history (an incident
    still open in the tool it came from is nobody's work in Rota)."""
    return incident_list().exclude(status=Incident.Status.RESOLVED).filter(source="")


def open_incidents_for_rotation(*, rotation):
    """Return the open incidents a rotation's people are answering for (for handoffs).

    A person rotation answers for its team's incidents; a team rotation, and the person
    rotations following it, for the incidents its support policy routed; a first-line
    rotation for the incidents of the policies it is first line of.
    """
    condition = Q(support_policy__first_line_rotation_id=rotation.pk)
    if rotation.kind == Rotation.Kind.TEAM:
        condition |= Q(support_policy__team_rotation_id=rotation.pk)
    elif rotation.follows_team_rotation_id is not None:
        condition |= Q(support_policy__team_rotation_id=rotation.follows_team_rotation_id)
    elif rotation.team_id is not None:
        condition |= Q(responding_team_id=rotation.team_id)
    return open_incidents().filter(condition).order_by("severity", "created_at")


def bug_list(*, now=None):
    """Return bugs with an ``overrun`` flag: the investigation ran (or runs) past its timebox."""
    now = now or timezone.now()
    return Bug.objects.select_related(
        "component", "team", "incident", "investigator", "reported_by", "decided_by"
    ).annotate(
        overrun=Case(
            When(
                Q(investigation_finished_at__isnull=True, outcome="", timebox_ends_at__lt=now)
                | Q(investigation_finished_at__gt=F("timebox_ends_at")),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def triage_queue(*, team=None, now=None):
    """Return the open bugs (of ``team``) in the order a weekly triage meeting takes them.

    Worst severity first, then the oldest; decided bugs leave the queue, and imported bugs
    (history from Jira or GitHub, decided in the tool they came from) never enter it.
    """
    bugs = bug_list(now=now).filter(outcome="", source="")
    if team is not None:
        bugs = bugs.filter(team=team)
    return bugs.order_by("severity", "created_at", "id")


def integration_list():
    return Integration.objects.select_related("component", "component__effective_owner_team")


def integrations_visible_to(request):
    """Return the integrations the caller may see: all for staff, their teams' for managers."""
    integrations = integration_list()
    if is_rota_admin(request.user):
        return integrations
    return integrations.filter(
        component__effective_owner_team_id__in=user_managed_team_ids(request)
    )
