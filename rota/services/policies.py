"""Writes to support policies."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from core.services import apply_fields
from ownership.models import Component

from ..models import RoutingSettings, SupportPolicy, SupportPolicyComponent
from ._common import rota_touch

FIELDS = (
    "name",
    "description",
    "model",
    "team_rotation",
    "dedicated_team",
    "first_line_rotation",
    "owner_paging",
    "first_line_window_minutes",
)
SETTINGS_FIELDS = ("fallback_rotation", "fallback_team", "cover_check_max_tier")


def _component_ids(items: Iterable) -> list[int]:
    items = list(items)
    slugs = [item for item in items if isinstance(item, str)]
    found = dict(Component.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise ValidationError({"components": [f"Unknown component {slug!r}." for slug in unknown]})
    ids = []
    for item in items:
        pk = found[item] if isinstance(item, str) else item.pk
        if pk not in ids:
            ids.append(pk)
    return ids


def _check_components(policy: SupportPolicy, ids: list[int]) -> None:
    """Refuse a second default policy, or a component another policy already names."""
    others = SupportPolicy.objects.exclude(pk=policy.pk)
    if not ids:
        default = others.filter(component_links__isnull=True).first()
        if default is not None:
            raise ValidationError(
                {
                    "components": f"{default.name} is already the default policy (no "
                    "components); name the components this policy covers."
                }
            )
        return
    taken = SupportPolicyComponent.objects.filter(component_id__in=ids)
    if policy.pk is not None:
        taken = taken.exclude(policy=policy)
    if taken.exists():
        raise ValidationError(
            {
                "components": [
                    f"{slug} is already covered by policy {name}."
                    for slug, name in taken.values_list("component__slug", "policy__name")
                ]
            }
        )


def _set_components(policy: SupportPolicy, ids: list[int]) -> None:
    policy.component_links.exclude(component_id__in=ids).delete()
    have = set(policy.component_links.values_list("component_id", flat=True))
    SupportPolicyComponent.objects.bulk_create(
        [SupportPolicyComponent(policy=policy, component_id=pk) for pk in ids if pk not in have]
    )
    rota_touch()


@transaction.atomic
def support_policy_create(*, components: Iterable = (), **data) -> SupportPolicy:
    """Create a policy for components (objects or slugs); none makes it the default."""
    policy = SupportPolicy()
    apply_fields(policy, FIELDS, data)
    policy.full_clean()
    ids = _component_ids(components)
    _check_components(policy, ids)
    policy.save()
    rota_touch()
    _set_components(policy, ids)
    return policy


@transaction.atomic
def support_policy_update(
    *, policy: SupportPolicy, components: Iterable | None = None, **data
) -> SupportPolicy:
    """Change a policy; ``components``, when given, replaces the list it covers."""
    apply_fields(policy, FIELDS, data)
    policy.full_clean()
    if components is not None:
        ids = _component_ids(components)
        _check_components(policy, ids)
    policy.save()
    rota_touch()
    if components is not None:
        _set_components(policy, ids)
    return policy


@transaction.atomic
def support_policy_delete(*, policy: SupportPolicy) -> None:
    """Delete a policy; its components fall back to their ancestors' policy or the default."""
    policy.delete()
    rota_touch()


@transaction.atomic
def routing_settings_update(**data) -> RoutingSettings:
    """Change the organisation's routing settings (the fallback, the guarded tiers).

    Keyword arguments are fields of :class:`RoutingSettings`; ValidationError for bad values.
    Every process's on-call cache notices at once.
    """
    settings, _ = RoutingSettings.objects.select_for_update().get_or_create(
        pk=RoutingSettings.SINGLETON_ID
    )
    apply_fields(settings, SETTINGS_FIELDS, data)
    settings.full_clean()
    settings.save()
    rota_touch()
    return settings
