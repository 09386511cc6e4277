"""Importing the sections about paging: support policies with their escalation delays, the
default delays, the routing settings and the alert integrations (see ``load``)."""

from __future__ import annotations

from incidents.models import EscalationPolicy, Integration
from incidents.services.escalation_policies import (
    escalation_policy_create,
    escalation_policy_delete,
    escalation_policy_update,
)
from incidents.services.integrations import integration_create, integration_update
from rota.models import RoutingSettings, SupportPolicy
from rota.services import routing_settings_update, support_policy_create, support_policy_update

from .reader import FAILED, keymap_of
from .schema import ESCALATION_KEYS, INTEGRATION_KEYS, POLICY_EXTRA, POLICY_KEYS, ROUTING_KEYS


class PagingSections:
    """Mixed into ``load.Loader``: uses its ``fields``, ``upsert``, ``ref`` and ``report``."""

    def policies(self) -> None:
        keymap = keymap_of(POLICY_KEYS, POLICY_EXTRA)
        for path, entry in self.entries(self.doc, "support_policies"):
            self.step()
            self.check_keys(path, entry, keymap.values())
            name = self.required(path, entry, "name")
            if name is FAILED:
                continue
            self.named.setdefault("support_policies", set()).add(name)
            policy = SupportPolicy.objects.filter(name=name).first()
            data = self.fields("policy", SupportPolicy, POLICY_KEYS, entry, path)
            components = self.component_list(path, entry)
            if data is None or components is None:
                self.failed["support policy"].add(name)
                continue
            if policy is not None and {c.pk for c in components} == set(
                policy.component_links.values_list("component_id", flat=True)
            ):
                components = None
            result = self.upsert(
                "support policy", name, path, policy, data, keymap,
                create=support_policy_create,
                update=lambda policy=policy, **kw: support_policy_update(policy=policy, **kw),
                extra={"components": components},
            )  # fmt: skip
            if result is FAILED:
                self.failed["support policy"].add(name)
                continue
            existing = EscalationPolicy.objects.filter(support_policy=result).first()
            if entry.get("escalation") is not None:
                self.escalation(f"{path}.escalation", entry["escalation"], existing, result)
            elif existing is not None:
                escalation_policy_delete(policy=existing)
                self.report.delete("escalation policy", f"of {name}")

    def component_list(self, path: str, entry: dict) -> list | None:
        items = entry.get("components") or []
        if not isinstance(items, list):
            self.report.problem(f"{path}.components", "expected a list of component slugs")
            return None
        found = [self.ref("component", s, f"{path}.components[{i}]") for i, s in enumerate(items)]
        if any(c is FAILED or c is None for c in found):
            return None
        return found

    def escalation(self, path: str, entry, existing, support_policy) -> None:
        if not isinstance(entry, dict):
            self.report.problem(path, "expected a mapping of delays")
            return
        keymap = keymap_of(ESCALATION_KEYS)
        self.check_keys(path, entry, keymap.values())
        data = self.fields("escalation", EscalationPolicy, ESCALATION_KEYS, entry, path)
        if data is None:
            return
        if existing is None:
            data["support_policy"] = support_policy
        label = f"of {support_policy.name}" if support_policy else "(default)"
        self.upsert(
            "escalation policy", label, path, existing, data, keymap,
            create=escalation_policy_create,
            update=lambda **kw: escalation_policy_update(policy=existing, **kw),
        )  # fmt: skip

    def escalation_default(self) -> None:
        if self.doc.get("escalation_default") is None:
            return
        existing = EscalationPolicy.objects.filter(support_policy__isnull=True).first()
        self.escalation("escalation_default", self.doc["escalation_default"], existing, None)

    def routing(self) -> None:
        entry = self.doc.get("routing")
        if entry is None:
            return
        if not isinstance(entry, dict):
            self.report.problem("routing", "expected a mapping")
            return
        keymap = keymap_of(ROUTING_KEYS)
        self.check_keys("routing", entry, keymap.values())
        data = self.fields("routing", RoutingSettings, ROUTING_KEYS, entry, "routing")
        if data is None:
            return
        current = RoutingSettings.objects.filter(pk=RoutingSettings.SINGLETON_ID).first()
        self.upsert(
            "routing settings", "(the organisation's)", "routing", current, data, keymap,
            create=routing_settings_update, update=routing_settings_update,
        )  # fmt: skip

    def integrations(self) -> None:
        keymap = keymap_of(INTEGRATION_KEYS)
        seen = set()
        for path, entry in self.entries(self.doc, "integrations"):
            self.step()
            self.check_keys(path, entry, keymap.values())
            name = self.required(path, entry, "name")
            if name is FAILED:
                continue
            if name in seen:
                self.report.problem(f"{path}.name", f'"{name}" is named twice in the file')
                continue
            seen.add(name)
            found = list(Integration.objects.filter(name=name)[:2])
            if len(found) > 1:
                self.report.problem(f"{path}.name", f'two integrations are called "{name}"')
                continue
            integration = found[0] if found else None
            data = self.fields(
                "integration", Integration, INTEGRATION_KEYS, entry, path, integration
            )
            if data is None:
                continue
            result = self.upsert(
                "integration", name, path, integration, data, keymap,
                create=integration_create,
                update=lambda integration=integration, **kw: integration_update(
                    integration=integration, **kw
                ),
            )  # fmt: skip
            if integration is None and result is not FAILED and self.new_urls is not None:
                self.new_urls.append((name, result[1]))
        self.named["integrations"] = seen
