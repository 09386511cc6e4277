"""The shape of the rota YAML document: which keys each section holds, and how secrets look.

One table per section maps a YAML key to the model field it stands for, so the export, the
import and the error messages (which name YAML keys, not fields) agree on every name.
"""

from __future__ import annotations

import re

VERSION = 1

# Section -> (YAML key, model field) for the plain values, in the order they are written.
TEAM_KEYS = (
    ("slug", "slug"),
    ("name", "name"),
    ("kind", "kind"),
    ("description", "description"),
    ("email", "email"),
    ("chat_webhook_url", "chat_webhook_url"),
    ("chat_channel", "chat_channel"),
    ("timezone", "timezone"),
    ("public_holidays", "public_holidays"),
    ("triage_day", "triage_day"),
    ("triage_time", "triage_time"),
)
COMPONENT_KEYS = (
    ("slug", "slug"),
    ("name", "name"),
    ("kind", "kind"),
    ("description", "description"),
    ("parent", "parent"),
    ("owner_team", "owner_team"),
    ("tier", "tier"),
    ("repository_url", "repository_url"),
    ("runbook_url", "runbook_url"),
    ("dashboard_url", "dashboard_url"),
)
CALENDAR_KEYS = (
    ("name", "name"),
    ("start_date", "start_date"),
    ("length_days", "length_days"),
    ("timezone", "timezone"),
)
ROTATION_KEYS = (
    ("name", "name"),
    ("description", "description"),
    ("kind", "kind"),
    ("shift_length.unit", "shift_length_unit"),
    ("shift_length.count", "shift_length_count"),
    ("handoff_time", "handoff_time"),
    ("timezone", "timezone"),
    ("start_date", "start_date"),
    ("sprint_calendar", "sprint_calendar"),
    ("team", "team"),
    ("role", "role"),
    ("restriction", "restriction"),
    ("business_hours_start", "business_hours_start"),
    ("business_hours_end", "business_hours_end"),
    ("restriction_windows", "restriction_windows"),
    ("layer", "layer"),
    ("follows", "follows_team_rotation"),
    ("fairness", "fairness"),
    ("horizon_weeks", "horizon_weeks"),
    ("swaps_require_approval", "swaps_require_approval"),
    ("active", "active"),
)
POLICY_KEYS = (
    ("name", "name"),
    ("description", "description"),
    ("model", "model"),
    ("team_rotation", "team_rotation"),
    ("dedicated_team", "dedicated_team"),
    ("first_line_rotation", "first_line_rotation"),
    ("owner_paging", "owner_paging"),
    ("first_line_window_minutes", "first_line_window_minutes"),
)
ESCALATION_KEYS = (
    ("primary_delay_minutes", "primary_delay_minutes"),
    ("secondary_delay_minutes", "secondary_delay_minutes"),
    ("lead_delay_minutes", "lead_delay_minutes"),
)
ROUTING_KEYS = (
    ("fallback_rotation", "fallback_rotation"),
    ("fallback_team", "fallback_team"),
    ("cover_check_max_tier", "cover_check_max_tier"),
)
INTEGRATION_KEYS = (
    ("name", "name"),
    ("kind", "kind"),
    ("component", "component"),
    ("signing_secret", "signing_secret"),
    ("resolve_on_alert_resolved", "resolve_on_alert_resolved"),
    ("grouping", "grouping"),
    ("default_severity", "default_severity"),
    ("rate_limit_per_minute", "rate_limit_per_minute"),
    ("active", "active"),
)
PERSON_KEYS = ("username", "email", "first_name", "last_name")

# Keys holding lists or nested objects, besides the plain ones above.
TEAM_EXTRA = ("members",)
COMPONENT_EXTRA = ("paths",)
ROTATION_EXTRA = ("participants",)
POLICY_EXTRA = ("components", "escalation")

SECTIONS = (
    "version",
    "people",
    "teams",
    "components",
    "sprint_calendars",
    "rotations",
    "support_policies",
    "escalation_default",
    "routing",
    "integrations",
)

# Secret values never appear in the document: it names the environment variable to read.
SECRET_PREFIX = "env:"  # noqa: S105 - a prefix, not a secret
SECRET_FIELDS = {("team", "chat_webhook_url"), ("integration", "signing_secret")}


def secret_variable(kind: str, name: str, field: str) -> str:
    """Return the environment variable named in the export for one secret, e.g.
    ``ROTA_SECRET_TEAM_PAYMENTS_CHAT_WEBHOOK_URL`` (letters, digits and underscores only)."""
    stem = re.sub(r"[^A-Z0-9]+", "_", f"{kind}_{name}_{field}".upper()).strip("_")
    return f"ROTA_SECRET_{stem}"
