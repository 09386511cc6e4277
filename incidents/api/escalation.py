"""Escalation delays per support policy at /api/v1/escalation-policies/.

Everyone signed in reads them; staff, and managers of a team the support policy pages, change
them (rules in :mod:`incidents.api.permissions`). The row without a support policy holds the
organisation's default delays and is staff's.
"""

from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from core.input_guards import FilterSet
from core.permissions import ReadOrManage, user_managed_team_ids
from rota.models import SupportPolicy

from .. import services
from ..models import EscalationPolicy
from .permissions import can_manage_escalation, request_is_rota_admin


class EscalationPolicySerializer(serializers.ModelSerializer):
    support_policy = serializers.PrimaryKeyRelatedField(
        queryset=SupportPolicy.objects.all(),
        allow_null=True,
        required=False,
        help_text="Id of the support policy whose incidents these delays apply to; null for "
        "the organisation's default.",
    )
    support_policy_name = serializers.CharField(
        source="support_policy.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = EscalationPolicy
        fields = [
            "id",
            "support_policy",
            "support_policy_name",
            "primary_delay_minutes",
            "secondary_delay_minutes",
            "lead_delay_minutes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class EscalationPolicyFilter(FilterSet):
    default = filters.BooleanFilter(
        field_name="support_policy", lookup_expr="isnull", label="The default row only"
    )

    class Meta:
        model = EscalationPolicy
        fields = ["support_policy", "default"]


class EscalationPolicyViewSet(viewsets.ModelViewSet):
    """Minutes after an incident's creation at which its primary, secondary and leads are
    paged while nobody acknowledges it, per support policy. Staff and managers of a team the
    support policy pages change them; the default row is staff's."""

    serializer_class = EscalationPolicySerializer
    permission_classes = [ReadOrManage]
    filterset_class = EscalationPolicyFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        return EscalationPolicy.objects.select_related("support_policy").order_by("id")

    def can_create(self, request):
        return request_is_rota_admin(request) or bool(user_managed_team_ids(request))

    def can_change(self, request, policy):
        return can_manage_escalation(request, policy.support_policy)

    def _check_support_policy(self, data):
        """Refuse delays for a support policy that pages none of the caller's teams."""
        if "support_policy" not in data and self.action != "create":
            return
        if not can_manage_escalation(self.request, data.get("support_policy")):
            raise PermissionDenied(
                "You can only set the delays of a support policy that pages a team you "
                "manage. The organisation's default support policy (naming no components) "
                "and the default delays are organisation-wide: staff change them."
            )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self._check_support_policy(data)
        serializer.instance = services.escalation_policy_create(**data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        self._check_support_policy(data)
        serializer.instance = services.escalation_policy_update(policy=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.escalation_policy_delete(policy=instance)
