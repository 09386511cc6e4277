"""Writes of the incidents app; import services from here."""

from .alerts import IngestResult, alert_receive, alerts_ingest, inbox_record, inbox_reprocess
from .bugs import bug_create, bug_decide, bug_fixing_team, bug_investigation_start, bug_update
from .escalation import escalation_advance, escalation_plan, escalation_scan, escalation_stop
from .escalation_policies import (
    escalation_policy_create,
    escalation_policy_delete,
    escalation_policy_update,
)
from .incidents import (
    incident_acknowledge,
    incident_create,
    incident_mitigate,
    incident_note,
    incident_resolve,
    incident_update,
)
from .integrations import (
    integration_create,
    integration_for_token,
    integration_regenerate,
    integration_update,
    integration_url,
)
from .paging import page_deliver, page_sent_record, pages_requeue

__all__ = [
    "IngestResult",
    "alert_receive",
    "alerts_ingest",
    "bug_create",
    "bug_decide",
    "bug_fixing_team",
    "bug_investigation_start",
    "bug_update",
    "escalation_advance",
    "escalation_plan",
    "escalation_policy_create",
    "escalation_policy_delete",
    "escalation_policy_update",
    "escalation_scan",
    "escalation_stop",
    "inbox_record",
    "inbox_reprocess",
    "incident_acknowledge",
    "incident_create",
    "incident_mitigate",
    "incident_note",
    "incident_resolve",
    "incident_update",
    "integration_create",
    "integration_for_token",
    "integration_regenerate",
    "integration_update",
    "integration_url",
    "page_deliver",
    "page_sent_record",
    "pages_requeue",
]
