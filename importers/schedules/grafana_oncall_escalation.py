"""Grafana OnCall escalation chains as the delays of Rota's support policies.

A chain's steps run by ``position``: ``wait`` steps add their ``duration`` (seconds) up, and
the 1st, 2nd and 3rd ``notify_on_call_from_schedule`` steps give the primary, secondary and lead
delays (minutes after the incident was created) of the support policy whose support team is
the team of the first schedule notified (else the policy named like the chain). A second step
naming another schedule makes that schedule's rotations the team's secondary ones. Other step
types are problems naming the escalation policy.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError

from incidents.models import EscalationPolicy
from incidents.services.escalation_policies import (
    escalation_policy_create,
    escalation_policy_update,
)
from rota.models import SupportPolicy

DELAY_FIELDS = ("primary_delay_minutes", "secondary_delay_minutes", "lead_delay_minutes")


def errors_text(error: ValidationError) -> str:
    """Return a ValidationError's messages on one line, each with its field."""
    if hasattr(error, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


class EscalationSection:
    """Mixed into ``GrafanaImport``: uses its bundle ``b``, ``report``, ``team_for`` and
    fills ``secondary`` (the ids of schedules a chain notifies second)."""

    def chain_steps(self) -> dict[str, list]:
        """Return {chain id: [(minutes, schedule id, policy)]} and report other steps."""
        policies = defaultdict(list)
        for policy in self.b["escalation_policies"].values():
            policies[str(policy.get("escalation_chain_id"))].append(policy)
        steps = {}
        for cid, chain in self.b["escalation_chains"].items():
            elapsed, found = 0, []
            for policy in sorted(policies.get(cid, []), key=lambda p: p.get("position") or 0):
                kind = policy.get("type")
                here = (
                    f"escalation policy {policy['id']} (position {policy.get('position')}) "
                    f'of chain "{chain.get("name") or ""}"'
                )
                if kind == "wait":
                    elapsed += int(policy.get("duration") or 0)
                elif kind == "notify_on_call_from_schedule":
                    target = str(policy.get("notify_on_call_from_schedule") or "")
                    if target not in self.b["schedules"]:
                        self.report.problem(
                            here, f'schedule "{target}" is not in the schedules section'
                        )
                    else:
                        found.append((round(elapsed / 60), target, here))
                else:
                    self.report.problem(
                        here,
                        f'step "{kind}" has no Rota equivalent (Rota pages the on-call primary, '
                        "secondary, then the team's leads)",
                    )
            steps[cid] = found
        return steps

    def roles_from_chains(self, steps: dict) -> None:
        first = {found[0][1] for found in steps.values() if found}
        for found in steps.values():
            if len(found) > 1 and found[1][1] not in first:
                self.secondary.add(found[1][1])

    def escalation(self, steps: dict) -> None:
        taken = {}
        for cid, found in steps.items():
            chain = self.b["escalation_chains"][cid]
            where = f'escalation chain "{chain.get("name") or ""}" ({cid})'
            if not found:
                self.report.problem(where, "notifies no schedule; nothing imported")
                continue
            team = self.team_for(self.b["schedules"][found[0][1]])
            for _, target, here in found[1:]:
                if self.team_for(self.b["schedules"][target]) != team:
                    self.report.problem(
                        here, f"notifies another team's schedule than {team.name}'s"
                    )
            if found[1:2] and found[1][1] == found[0][1]:
                self.report.problem(
                    found[1][2],
                    "notifies the same schedule again; Rota pages each person once, so this "
                    f"delay is the secondary's of {team.name}",
                )
            for _, _, here in found[3:]:
                self.report.problem(here, "a fourth schedule step; Rota stops at the leads")
            policies = list(SupportPolicy.objects.filter(dedicated_team=team)[:2])
            if len(policies) != 1:
                policies = list(SupportPolicy.objects.filter(name=chain.get("name"))[:1])
            if not policies:
                self.report.problem(
                    where,
                    f"no support policy has {team.name} as its support team (nor is named "
                    f'"{chain.get("name") or ""}"); create one and import again',
                )
                continue
            policy = policies[0]
            if policy.pk in taken:
                self.report.problem(
                    where, f"{policy.name} already took the delays of {taken[policy.pk]}"
                )
                continue
            taken[policy.pk] = chain.get("name")
            existing = EscalationPolicy.objects.filter(support_policy=policy).first()
            # Steps the chain lacks keep the current delays (Rota's defaults for a new row).
            delays = {f: getattr(existing or EscalationPolicy(), f) for f in DELAY_FIELDS}
            previous = 0
            for index, field in enumerate(DELAY_FIELDS):
                value = found[index][0] if index < len(found) else delays[field]
                delays[field] = previous = max(value, previous)
            try:
                if existing is None:
                    escalation_policy_create(support_policy=policy, **delays)
                    self.report.create("escalation policy", f"of {policy.name} ({where})")
                elif any(getattr(existing, f) != v for f, v in delays.items()):
                    escalation_policy_update(policy=existing, **delays)
                    self.report.update("escalation policy", f"of {policy.name} ({where})")
                else:
                    self.report.keep("escalation policy")
            except ValidationError as error:
                self.report.problem(where, errors_text(error))
