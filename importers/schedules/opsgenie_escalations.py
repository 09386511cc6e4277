"""The escalations half of the Opsgenie importer (mixed into ``opsgenie.OpsgenieImport``).

An escalation's first three rules give the delays of the primary, the secondary and the leads
on the support policy dedicated to its owner team; Opsgenie's delays and Rota's both count from
the alert's creation. What Rota escalates differently is reported, rule by rule.
"""

from __future__ import annotations

from incidents.models import EscalationPolicy
from incidents.models.escalation import DEFAULT_LEAD_DELAY, DEFAULT_SECONDARY_DELAY
from incidents.services.escalation_policies import (
    escalation_policy_create,
    escalation_policy_update,
)
from ownership.models import Membership, Team
from rota.models import SupportPolicy

from .opsgenie_read import Unmappable, delay_minutes

MAX_DELAY = 24 * 60


class EscalationSection:
    """Uses the importer's ``report``, ``team``, ``person`` and ``write``."""

    def escalation(self, escalation: dict) -> None:
        name = escalation.get("name") or escalation["id"]
        where = f'escalation "{name}"'
        owner = escalation.get("ownerTeam")
        if not isinstance(owner, dict):
            self.report.problem(where, "has no ownerTeam; Rota keeps delays per team's policy")
            return
        team = self.team(owner, f"{where} ownerTeam")
        rules = escalation.get("rules")
        if team is None or not isinstance(rules, list) or not rules:
            if team is not None:
                self.report.problem(where, "has no rules")
            return
        repeat = escalation.get("repeat") or {}
        if isinstance(repeat, dict) and repeat.get("count") and repeat.get("waitInterval"):
            self.report.problem(where, "repeats; Rota escalates once: the repeats are left out")
        delays = []
        for index, rule in enumerate(rules):
            here = f"{where} rule {index + 1}"
            if not isinstance(rule, dict):
                self.report.problem(here, "not an object")
                return
            try:
                delays.append(delay_minutes(rule))
            except Unmappable as exc:
                self.report.problem(here, str(exc))
                return
            self.check_rule(here, index, rule, team)
        support = list(SupportPolicy.objects.filter(dedicated_team=team)[:2])
        if len(support) != 1:
            self.report.problem(
                where,
                f"Rota keeps delays per support policy and {len(support) or 'no'} support "
                f"policies have {team.slug} as their team: delays not imported",
            )
            return
        (support,) = support
        existing = EscalationPolicy.objects.filter(support_policy=support).first()
        primary = delays[0]
        secondary = delays[1] if len(delays) > 1 else None
        lead = delays[2] if len(delays) > 2 else None
        if secondary is None:
            secondary = existing.secondary_delay_minutes if existing else DEFAULT_SECONDARY_DELAY
            secondary = max(secondary, primary)
        if lead is None:
            lead = max(existing.lead_delay_minutes if existing else DEFAULT_LEAD_DELAY, secondary)
        if max(primary, secondary, lead) > MAX_DELAY:
            self.report.problem(where, f"waits more than {MAX_DELAY} minutes: not imported")
            return
        values = {
            "primary_delay_minutes": primary,
            "secondary_delay_minutes": secondary,
            "lead_delay_minutes": lead,
        }
        label = f"of {support.name} (+{primary}, +{secondary}, +{lead} min)"
        if existing is None:
            created = self.write(
                where, lambda: escalation_policy_create(support_policy=support, **values)
            )
            if created is not None:
                self.report.create("escalation policy", label)
            return
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if not changes:
            self.report.keep("escalation policy")
        elif self.write(where, lambda: escalation_policy_update(policy=existing, **changes)):
            self.report.update("escalation policy", label)

    def check_rule(self, here: str, index: int, rule: dict, team: Team) -> None:
        """Report what of one rule Rota does not do the same way (the delay is kept)."""
        condition = rule.get("condition") or "if-not-acked"
        if condition != "if-not-acked":
            self.report.problem(
                here, f'condition "{condition}"; Rota escalates while nobody acknowledged'
            )
        recipient = rule.get("recipient") or {}
        kind = recipient.get("type")
        who = recipient.get("name") or recipient.get("username") or recipient.get("id") or "?"
        notify = rule.get("notifyType") or "default"
        step = ("primary", "secondary", "leads")[index] if index < 3 else None
        if step is None:
            self.report.problem(
                here, "Rota escalates in three steps (primary, secondary, leads): left out"
            )
        elif step == "leads":
            if kind == "user":
                try:
                    user = self.person(recipient, here)
                except Unmappable as exc:
                    self.report.problem(here, str(exc))
                    return
                if not Membership.objects.filter(
                    team=team, user=user, role__in=[Membership.Role.LEAD, Membership.Role.MANAGER]
                ).exists():
                    self.report.problem(
                        here,
                        f"notifies {user.email}, who is no lead or manager of {team.slug}; "
                        "Rota's third step pages the team's leads",
                    )
            elif kind != "team":
                self.report.problem(
                    here, f"notifies {kind} {who}; Rota's third step pages the team's leads"
                )
        elif kind != "schedule":
            self.report.problem(
                here,
                f"notifies {kind} {who} directly; Rota pages the {step} on duty in the team's "
                "rotations: put them in a schedule",
            )
        elif notify != "default":
            self.report.problem(
                here,
                f'notifyType "{notify}"; Rota pages the {step} on duty now (as "default" does)',
            )
