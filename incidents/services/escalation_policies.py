"""Writes to escalation policies: how fast an unacknowledged incident moves on."""

from django.db import transaction

from core.services import apply_fields, model_update

from ..models import EscalationPolicy

FIELDS = (
    "support_policy",
    "primary_delay_minutes",
    "secondary_delay_minutes",
    "lead_delay_minutes",
)


@transaction.atomic
def escalation_policy_create(**data) -> EscalationPolicy:
    """Create the delays for a support policy (``support_policy=None``: the default row).

    Raise ValidationError when the delays decrease or a default row exists already.
    """
    policy = EscalationPolicy()
    apply_fields(policy, FIELDS, data)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def escalation_policy_update(*, policy: EscalationPolicy, **data) -> EscalationPolicy:
    """Change some of an escalation policy's fields; steps not yet paged follow the new delays.

    Raise ValidationError when the delays decrease or a default row exists already.
    """
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    return model_update(instance=policy, fields=FIELDS, data=data)[0]


@transaction.atomic
def escalation_policy_delete(*, policy: EscalationPolicy) -> None:
    """Delete an escalation policy; its incidents fall back to the default delays."""
    policy.delete()
