from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core import caches
from core.input_guards import FilterSet
from core.permissions import (
    ReadOrManage,
    can_manage_team,
    is_rota_admin,
    user_managed_team_ids,
)

from .. import selectors, services
from ..models import Component, Team
from .serializers import (
    ComponentSerializer,
    InstantQuerySerializer,
    OwnershipPeriodSerializer,
    PathOwnershipSerializer,
    PathQuerySerializer,
    TeamSerializer,
)


class TeamFilter(FilterSet):
    member = filters.CharFilter(field_name="memberships__user__username", label="Member username")

    class Meta:
        model = Team
        fields = ["member"]


class TeamViewSet(viewsets.ModelViewSet):
    """Teams, their members and contact channels. Staff create teams; managers edit theirs."""

    serializer_class = TeamSerializer
    permission_classes = [ReadOrManage]
    lookup_field = "slug"
    filterset_class = TeamFilter
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug"]

    def get_queryset(self):
        return selectors.team_list().distinct()

    def can_create(self, request):
        return is_rota_admin(request.user)

    def can_change(self, request, team):
        return can_manage_team(request, team.pk)

    @staticmethod
    def _members(validated):
        members = validated.pop("memberships", None)
        if members is None:
            return None
        return [(m["user"], m.get("role", "engineer")) for m in members]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        members = self._members(data)
        serializer.instance = services.team_create(members=members, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        members = self._members(data)
        serializer.instance = services.team_update(
            team=serializer.instance, members=members, by=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.team_delete(team=instance)

    @extend_schema(responses=ComponentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def components(self, request, slug=None):
        """Everything the team owns, directly or inherited from a parent component."""
        team = self.get_object()
        queryset = selectors.components_owned_by(team=team).order_by("name")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            ComponentSerializer(page, many=True, context=self.get_serializer_context()).data
        )


class ComponentFilter(FilterSet):
    owner_team = filters.CharFilter(field_name="owner_team__slug", label="Direct owner team slug")
    team = filters.CharFilter(
        field_name="effective_owner_team__slug", label="Effective owner team slug"
    )
    parent = filters.CharFilter(field_name="parent__slug", label="Parent component slug")
    root = filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label="Top level only")

    class Meta:
        model = Component
        fields = ["owner_team", "team", "parent", "root", "tier", "kind"]


class ComponentViewSet(viewsets.ModelViewSet):
    """The component catalog. Staff and managers of the owning team edit a component."""

    serializer_class = ComponentSerializer
    permission_classes = [ReadOrManage]
    lookup_field = "slug"
    filterset_class = ComponentFilter
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "slug", "tier"]

    def get_queryset(self):
        return selectors.component_list()

    def can_create(self, request):
        return is_rota_admin(request.user) or bool(user_managed_team_ids(request))

    def can_change(self, request, component):
        return can_manage_team(request, component.effective_owner_team_id)

    def _check_new_owner(self, data, current=None):
        """Refuse to give a component to a team the caller does not manage."""
        if is_rota_admin(self.request.user):
            return
        if "owner_team" in data or "parent" in data or current is None:
            owner = data.get("owner_team", current.owner_team if current else None)
            parent = data.get("parent", current.parent if current else None)
            team_id = owner.pk if owner else (parent.effective_owner_team_id if parent else None)
            if team_id is None or not can_manage_team(self.request, team_id):
                raise PermissionDenied(
                    "You can only give a component to a team you manage; "
                    "set owner_team (or a parent) owned by one of your teams."
                )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self._check_new_owner(data)
        serializer.instance = services.component_create(by=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        self._check_new_owner(data, current=serializer.instance)
        serializer.instance = services.component_update(
            component=serializer.instance, by=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.component_delete(component=instance)

    @extend_schema(responses=OwnershipPeriodSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, slug=None):
        """The dated ownership history of the component, newest first."""
        component = self.get_object()
        page = self.paginate_queryset(selectors.component_history(component=component))
        return self.get_paginated_response(OwnershipPeriodSerializer(page, many=True).data)

    @extend_schema(parameters=[InstantQuerySerializer], responses=OwnershipPeriodSerializer)
    @action(detail=True, methods=["get"])
    def owner(self, request, slug=None):
        """Who owned the component at instant ``at`` (default now)."""
        component = self.get_object()
        query = InstantQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        period = selectors.component_owner_at(component=component, at=at)
        if period is None:
            raise NotFound(
                f"Rota has no ownership record for {component.slug} at {at.isoformat()}."
            )
        return Response(OwnershipPeriodSerializer(period).data)


_rendered: dict = {}
caches.register("ownership.api.path_json", _rendered.clear)


class OwnershipLookupView(APIView):
    """Which component owns a code path: the most specific matching glob wins."""

    @extend_schema(parameters=[PathQuerySerializer], responses=PathOwnershipSerializer)
    def get(self, request):
        query = PathQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        path = query.validated_data["path"]
        found, version = selectors.ownership_for_path_versioned(path=path)
        if found is None:
            raise NotFound(f"No component's paths match {path!r}.")
        # The JSON only changes with the catalog: keep it per version, path and match.
        key = (version, path, found.pattern, found.component.pk)
        data = _rendered.get(key)
        if data is None:
            data = PathOwnershipSerializer(found, context={"request": request}).data
            if len(_rendered) >= 20_000:
                _rendered.clear()
            _rendered[key] = data
        data = dict(data)
        at = query.validated_data.get("at")
        if at is not None:
            period = selectors.component_owner_at(component=found.component, at=at)
            data["at"] = at.isoformat()
            data["owner_team_at"] = period.team.slug if period and period.team else None
        return Response(data, status=status.HTTP_200_OK)
