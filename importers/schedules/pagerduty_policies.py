"""The escalation-policy half of the PagerDuty importer: rules into a support policy's delays.

PagerDuty's ``escalation_delay_in_minutes`` is the wait at each level; Rota's delays count from
the incident's creation. Rota pages the primary at once, the secondary when PagerDuty would
reach level 2, and the team's leads when it would reach level 3 (or, with two levels, when it
would leave level 2). The delays go on the support policy whose dedicated team is the team of
the schedules the policy pages, or the one the mapping names.
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

from .pagerduty_read import Unmappable, escalation_levels

MAX_DELAY = 24 * 60


class PolicySection:
    """Mixed into ``pagerduty.ScheduleImport``: uses its ``report``, ``person``, ``write``,
    ``schedule_team`` and ``policy_map``."""

    def policy(self, policy: dict) -> None:
        name = policy.get("name") or policy["id"]
        where = f'escalation policy "{name}"'
        try:
            levels = escalation_levels(policy)
        except Unmappable as exc:
            self.report.problem(where, str(exc))
            return
        loops = policy.get("num_loops") or 0
        if loops:
            self.report.problem(
                where, f"repeats {loops} time(s); Rota escalates once: the repeats are left out"
            )
        teams = {
            self.schedule_team[target].pk: self.schedule_team[target]
            for level in levels[:2]
            for kind, target in level.targets
            if kind.startswith("schedule") and target in self.schedule_team
        }
        if len(teams) != 1:
            which = ", ".join(sorted(t.slug for t in teams.values())) or "none"
            self.report.problem(
                where,
                "its levels 1 and 2 must page schedules of one imported team "
                f"(found: {which}): delays not imported",
            )
            return
        (team,) = teams.values()
        bosses = set(
            Membership.objects.filter(
                team=team, role__in=[Membership.Role.LEAD, Membership.Role.MANAGER]
            ).values_list("user_id", flat=True)
        )
        for level in levels:
            here = f"{where} level {level.number}"
            users = [t for kind, t in level.targets if kind.startswith("user")]
            schedules = [t for kind, t in level.targets if kind.startswith("schedule")]
            if level.number > 3:
                self.report.problem(
                    here, "Rota escalates in three steps (primary, secondary, leads): left out"
                )
            elif level.number == 3:
                if schedules:
                    self.report.problem(
                        here, "pages a schedule; Rota's third step pages the team's leads"
                    )
                for ref in users:
                    try:
                        user = self.person({"id": ref})
                    except Unmappable as exc:
                        self.report.problem(here, str(exc))
                        continue
                    if user.pk not in bosses:
                        self.report.problem(
                            here,
                            f"pages {user.username}, who is not a lead or manager of "
                            f"{team.slug}; Rota's third step pages the team's leads",
                        )
            elif users:
                self.report.problem(
                    here,
                    f"pages user(s) {', '.join(users)} directly; Rota pages the people on duty "
                    "in rotations: put them in a schedule",
                )
        support = self.support_policy(policy, team, where)
        if support is None:
            return
        existing = EscalationPolicy.objects.filter(support_policy=support).first()
        secondary = levels[1].at_minutes if len(levels) > 1 else None
        lead = None
        if len(levels) > 2:
            lead = levels[2].at_minutes
        elif len(levels) == 2:
            lead = levels[1].next_minutes
        if secondary is None:
            secondary = existing.secondary_delay_minutes if existing else DEFAULT_SECONDARY_DELAY
        if lead is None:
            lead = max(existing.lead_delay_minutes if existing else DEFAULT_LEAD_DELAY, secondary)
        if max(secondary, lead) > MAX_DELAY:
            self.report.problem(
                where, f"reaches its levels after more than {MAX_DELAY} minutes: not imported"
            )
            return
        values = {
            "primary_delay_minutes": 0,
            "secondary_delay_minutes": secondary,
            "lead_delay_minutes": lead,
        }
        label = f"of {support.name} (+0, +{secondary}, +{lead} min)"
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

    def support_policy(self, policy: dict, team: Team, where: str) -> SupportPolicy | None:
        named = self.policy_map.get(policy["id"]) or self.policy_map.get(policy.get("name") or "")
        if named:
            found = SupportPolicy.objects.filter(name=named).first()
            if found is None:
                self.report.problem(where, f'support policy "{named}" does not exist in Rota')
            return found
        found = list(SupportPolicy.objects.filter(dedicated_team=team)[:2])
        if len(found) == 1:
            return found[0]
        self.report.problem(
            where,
            f"Rota keeps delays per support policy and {len(found) or 'no'} support policies "
            f"have {team.slug} as their team: name one under support_policies in the mapping",
        )
        return None
