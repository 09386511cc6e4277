"""The rota's planning resources: sprint calendars, rotations, shifts, overrides and policies.

Each view validates input with a serializer, checks who may act (rules in
:mod:`rota.api.permissions`), calls one domain service and serializes the result.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.pagination import RememberedCountPagination
from core.permissions import ReadOrManage

from .. import routing_cache, selectors, services
from ..models import (
    Rotation,
    RotationParticipant,
    SprintCalendar,
    SupportPolicy,
    SupportPolicyComponent,
)
from . import filters
from .permissions import (
    can_manage_rotation,
    managed_teams,
    proposed_rotation_team_ids,
    request_is_rota_admin,
)
from .serializers import (
    GenerateResultSerializer,
    GenerateSerializer,
    OverrideSerializer,
    RotationSerializer,
    ShiftSerializer,
    SprintCalendarSerializer,
    SprintQuerySerializer,
    SprintSerializer,
    SupportPolicySerializer,
    sprint_data,
)


class StaffOnlyWrites:
    """Let staff alone create and change (organisation-wide settings)."""

    def can_create(self, request):
        return request_is_rota_admin(request)

    def can_change(self, request, obj):
        return request_is_rota_admin(request)


class SprintCalendarViewSet(StaffOnlyWrites, viewsets.ModelViewSet):
    """Sprint calendars; sprint N's dates under ``sprints``. Staff only change them."""

    queryset = SprintCalendar.objects.all()
    serializer_class = SprintCalendarSerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.SprintCalendarFilter
    search_fields = ["name"]
    ordering_fields = ["name", "start_date"]

    def perform_create(self, serializer):
        serializer.instance = services.sprint_calendar_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.sprint_calendar_update(
            calendar=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        # Rotations measured in the calendar protect it (answered with 409).
        instance.delete()

    @extend_schema(parameters=[SprintQuerySerializer], responses=SprintSerializer(many=True))
    # A bounded list worked out from from..to, answered whole: no pages, search or ordering,
    # and the schema says so (it documented the calendars' paging and filters before).
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def sprints(self, request, pk=None):
        """List the sprints overlapping ``from``..``to`` (dates; default: the next six)."""
        calendar = self.get_object()
        query = SprintQuerySerializer(data=request.query_params, context={"calendar": calendar})
        query.is_valid(raise_exception=True)
        rows = [sprint_data(calendar, n) for n in query.validated_data["numbers"]]
        return Response(SprintSerializer(rows, many=True).data)


class RotationViewSet(viewsets.ModelViewSet):
    """Rotations and their turn order.

    Staff, and managers of a team the rotation concerns (its team; for team rotations, any
    participating team; for a following rotation, the teams of the followed one), change it.
    """

    serializer_class = RotationSerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.RotationFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "start_date", "id"]

    def get_queryset(self):
        participants = RotationParticipant.objects.select_related("team", "user")
        return Rotation.objects.select_related("team").prefetch_related(
            Prefetch("participants", queryset=participants)
        )

    def can_create(self, request):
        return request_is_rota_admin(request) or bool(managed_teams(request))

    def can_change(self, request, rotation):
        return can_manage_rotation(request, rotation)

    def _check_proposal(self, data, current=None):
        """Refuse a rotation that would concern no team the caller manages."""
        if request_is_rota_admin(self.request):
            return
        if not managed_teams(self.request) & proposed_rotation_team_ids(data, current):
            raise PermissionDenied(
                "You can only create or change a rotation of a team you manage: set team "
                "(person rotations) or participants (team rotations) to include one of yours."
            )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self._check_proposal(data)
        serializer.instance = services.rotation_create(**data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        self._check_proposal(data, current=serializer.instance)
        serializer.instance = services.rotation_update(rotation=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.rotation_delete(rotation=instance)

    @extend_schema(request=GenerateSerializer, responses=GenerateResultSerializer)
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        """Create the missing shifts up to ``until``; hand-edited shifts stay as they are."""
        rotation = self.get_object()
        body = GenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.rotation_regenerate(rotation=rotation, until=body.validated_data["until"])
        data = {
            "created": result.created,
            "updated": result.updated,
            "deleted": result.deleted,
            "conflicts": len(result.conflicts),
        }
        return Response(GenerateResultSerializer(data).data)


class RotationManagedMixin:
    """Writes allowed to staff and to the managers of the row's rotation."""

    def can_create(self, request):
        return request_is_rota_admin(request) or bool(managed_teams(request))

    def can_change(self, request, obj):
        return can_manage_rotation(request, obj.rotation)

    def _check_rotation(self, rotation):
        if not can_manage_rotation(self.request, rotation):
            raise PermissionDenied("Only staff and the rotation's team managers may do this.")


# What a list row reads: the serializer's fields and the rotation's zone (leave clashes).
SHIFT_LIST_COLUMNS = (
    *("id", "rotation", "start", "end", "team", "user", "edited", "sequence", "note"),
    *("rotation__name", "rotation__timezone", "team__slug", "user__username"),
)


class ShiftPagination(RememberedCountPagination):
    """Shift lists: a count holds while the rota and catalog versions stay the same."""

    @staticmethod
    def count_version():
        return routing_cache.versions()


class ShiftViewSet(RotationManagedMixin, viewsets.ModelViewSet):
    """Shifts, the rota's rows. Staff and the rotation's managers add and edit them by hand.

    An edit marks the shift ``edited`` (regeneration keeps it) and bumps its ``sequence``.
    ``start_after``/``end_before`` select shifts starting at or after / ending at or before an
    instant; ``end_after``/``start_before`` select the shifts overlapping a window.
    """

    serializer_class = ShiftSerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.ShiftFilter
    # The table grows without bound: its exact count is remembered until the rota changes.
    pagination_class = ShiftPagination
    ordering_fields = ["start", "end", "id"]

    def get_queryset(self):
        return selectors.shift_list()

    def list(self, request, *args, **kwargs):
        """List shifts, each with its clashes with leave (worked out for the page at once)."""
        # Only the columns the rows show: loading whole rotations and people (times parsed,
        # JSON decoded) was a third of a page's time.
        queryset = self.filter_queryset(self.get_queryset()).only(*SHIFT_LIST_COLUMNS)
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {
            **self.get_serializer_context(),
            "leave_clashes": selectors.shift_leave_clashes(rows),
        }
        data = self.get_serializer_class()(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        rotation = data.pop("rotation")
        self._check_rotation(rotation)
        serializer.instance = services.shift_create(rotation=rotation, by=self.request.user, **data)

    def perform_update(self, serializer):
        if not serializer.validated_data:
            return  # nothing to change: the shift stays unedited
        serializer.instance = services.shift_update(
            shift=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.shift_delete(shift=instance, by=self.request.user)


class OverrideViewSet(RotationManagedMixin, viewsets.ModelViewSet):
    """Overrides: someone covers a window of a rotation.

    Staff and the rotation's managers manage every override; anyone may cover for someone,
    i.e. create an override naming themselves, and change or delete the overrides that name
    them or that they created, without handing them to someone else. An override may lie
    inside another one (a cover for the cover: the innermost holds its window); one that
    overlaps another only partly, or repeats its window, is a 400 on ``start`` or ``end``.
    """

    serializer_class = OverrideSerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.OverrideFilter
    ordering_fields = ["start", "end", "id"]

    def get_queryset(self):
        return selectors.override_list()

    def can_create(self, request):
        return True  # who covers is checked against the body in perform_create

    def can_change(self, request, override):
        me = request.user.pk
        return (
            override.user_id == me
            or override.created_by_id == me
            or can_manage_rotation(request, override.rotation)
        )

    def _check_cover(self, rotation, data):
        """Let rota admins and the rotation's managers name anyone; others cover themselves.

        Covering oneself is open only to those who could take a swap on the rotation
        (``rotation_taker_ids``), so that nobody makes a foreign rotation page them.
        """
        if can_manage_rotation(self.request, rotation):
            return
        me = self.request.user
        if data.get("team") is not None or data.get("user", me) != me:
            raise PermissionDenied(
                "You can only cover yourself: set user to your own username "
                "(the rotation's managers arrange cover for others)."
            )
        if me.pk not in selectors.rotation_taker_ids(rotation):
            raise PermissionDenied(
                f"You do not take turns in the rotation {rotation.name}: only its participants "
                "and the members of its teams may cover it (its managers arrange other cover)."
            )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        rotation = data.pop("rotation")
        if "user" not in data and "team" not in data and rotation.kind == Rotation.Kind.PERSON:
            data["user"] = self.request.user
        self._check_cover(rotation, data)
        serializer.instance = services.override_create(
            rotation=rotation, by=self.request.user, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        self._check_cover(serializer.instance.rotation, data)
        serializer.instance = services.override_update(override=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.override_delete(override=instance)


class SupportPolicyViewSet(StaffOnlyWrites, viewsets.ModelViewSet):
    """Support policies: which support model applies to which components. Staff change them."""

    serializer_class = SupportPolicySerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.SupportPolicyFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id"]

    def get_queryset(self):
        return (
            SupportPolicy.objects.select_related(
                "team_rotation", "dedicated_team", "first_line_rotation"
            )
            .prefetch_related(
                Prefetch(
                    "component_links",
                    queryset=SupportPolicyComponent.objects.select_related("component"),
                )
            )
            .distinct()
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.support_policy_create(
            components=data.pop("components", ()), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.support_policy_update(
            policy=serializer.instance, components=data.pop("components", None), **data
        )

    def perform_destroy(self, instance):
        services.support_policy_delete(policy=instance)
