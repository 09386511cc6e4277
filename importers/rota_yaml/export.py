"""Write the rota configuration as one YAML document (see ``importers.rota_yaml``)."""

from __future__ import annotations

import datetime

import yaml
from django.contrib.auth import get_user_model
from django.db.models import Q

from incidents.models import EscalationPolicy, Integration
from ownership.models import Component, Team
from rota.models import Rotation, RoutingSettings, SprintCalendar, SupportPolicy
from rota.weekly import windows_text

from .schema import (
    CALENDAR_KEYS,
    COMPONENT_KEYS,
    ESCALATION_KEYS,
    INTEGRATION_KEYS,
    POLICY_KEYS,
    ROTATION_KEYS,
    ROUTING_KEYS,
    SECRET_FIELDS,
    SECRET_PREFIX,
    TEAM_KEYS,
    VERSION,
    secret_variable,
)

HEADER = (
    "# Rota configuration (rota as code). Import with: python manage.py import_rota FILE\n"
    "# Secrets are not written here: a value 'env:NAME' is read from the environment variable\n"
    "# NAME when imported. Integration webhook URLs are never exported (see README).\n"
)


class ExportRefused(Exception):
    """The database holds something the document cannot name unambiguously."""


class _Time(str):
    """A time of day, ``HH:MM``: always written in quotes, so every time in the file looks
    alike (PyYAML quotes 10:30, base 60 in YAML 1.1, but not 09:00)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Time, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, "'")
)


def _plain(value):
    """Return a model value in its document form: natural keys for rows, ``HH:MM`` for times."""
    if isinstance(value, Team | Component):
        return value.slug
    if isinstance(value, Rotation | SprintCalendar | SupportPolicy):
        return value.name
    if isinstance(value, datetime.time):
        return _Time(value.strftime("%H:%M:%S" if value.second else "%H:%M"))
    return value


def _row(obj, keys, *, kind: str, name: str) -> dict:
    out: dict = {}
    for key, field in keys:
        value = getattr(obj, field)
        if (kind, field) in SECRET_FIELDS:
            value = f"{SECRET_PREFIX}{secret_variable(kind, name, field)}" if value else ""
        value = _plain(value)
        if field == "restriction_windows":
            value = windows_text(value).splitlines()  # ["Mon 09:00 - Fri 17:00", ...]
        if "." in key:
            outer, inner = key.split(".")
            out.setdefault(outer, {})[inner] = value
        else:
            out[key] = value
    return out


def _unique(names, what: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ExportRefused(
                f'Two {what} are called "{name}": the document names them by name; '
                "rename one first."
            )
        seen.add(name)


def export_document() -> dict:
    """Return the rota configuration as plain data (lists sorted by natural key)."""
    User = get_user_model()
    teams = list(
        Team.objects.prefetch_related("memberships__user").order_by("slug")
    )  # slug is unique
    components = list(
        Component.objects.select_related("parent", "owner_team")
        .prefetch_related("paths")
        .order_by("slug")
    )
    calendars = list(SprintCalendar.objects.order_by("name"))
    rotations = list(
        Rotation.objects.select_related(
            "sprint_calendar", "team", "follows_team_rotation"
        ).prefetch_related("participants__team", "participants__user")
    )
    rotations.sort(key=lambda r: r.name)
    _unique([r.name for r in rotations], "rotations")
    policies = list(
        SupportPolicy.objects.select_related(
            "team_rotation", "dedicated_team", "first_line_rotation"
        ).prefetch_related("component_links__component")
    )
    policies.sort(key=lambda p: p.name)
    escalations = {e.support_policy_id: e for e in EscalationPolicy.objects.all()}
    integrations = list(Integration.objects.select_related("component"))
    integrations.sort(key=lambda i: i.name)
    _unique([i.name for i in integrations], "integrations")

    people = User.objects.filter(
        Q(memberships__isnull=False) | Q(rotation_places__isnull=False)
    ).distinct()
    doc: dict = {"version": VERSION}
    doc["people"] = [
        {key: getattr(user, key) for key in ("username", "email", "first_name", "last_name")}
        for user in people.order_by("username")
    ]
    doc["teams"] = []
    for team in teams:
        row = _row(team, TEAM_KEYS, kind="team", name=team.slug)
        row["members"] = [
            {"person": m.user.username, "role": m.role}
            for m in sorted(team.memberships.all(), key=lambda m: m.user.username)
        ]
        doc["teams"].append(row)
    doc["components"] = []
    for component in components:
        row = _row(component, COMPONENT_KEYS, kind="component", name=component.slug)
        row["paths"] = sorted(p.pattern for p in component.paths.all())
        doc["components"].append(row)
    doc["sprint_calendars"] = [
        _row(c, CALENDAR_KEYS, kind="calendar", name=c.name) for c in calendars
    ]
    doc["rotations"] = []
    for rotation in rotations:
        row = _row(rotation, ROTATION_KEYS, kind="rotation", name=rotation.name)
        places = sorted(rotation.participants.all(), key=lambda p: (p.position, p.pk))
        row["participants"] = [p.team.slug if p.team_id else p.user.username for p in places]
        doc["rotations"].append(row)
    doc["support_policies"] = []
    for policy in policies:
        row = _row(policy, POLICY_KEYS, kind="policy", name=policy.name)
        row["components"] = sorted(link.component.slug for link in policy.component_links.all())
        escalation = escalations.get(policy.pk)
        if escalation is not None:
            row["escalation"] = _row(escalation, ESCALATION_KEYS, kind="escalation", name="")
        doc["support_policies"].append(row)
    default = escalations.get(None)
    if default is not None:
        doc["escalation_default"] = _row(default, ESCALATION_KEYS, kind="escalation", name="")
    routing = RoutingSettings.objects.select_related("fallback_rotation", "fallback_team").first()
    if routing is not None:
        doc["routing"] = _row(routing, ROUTING_KEYS, kind="routing", name="")
    doc["integrations"] = [
        _row(i, INTEGRATION_KEYS, kind="integration", name=i.name) for i in integrations
    ]
    return doc


def dump(doc: dict) -> str:
    """Return ``doc`` as YAML text, keys in the order given, with the explanatory header."""
    body = yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return HEADER + body


def export_rota() -> str:
    """Return the whole rota configuration as YAML text; ``ExportRefused`` names an ambiguity."""
    return dump(export_document())
