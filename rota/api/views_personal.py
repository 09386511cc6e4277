"""What engineers manage themselves: swap requests and unavailability (leave, holidays)."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from core.permissions import ReadOrManage

from .. import services
from ..exceptions import CalendarImportError
from ..models import SwapRequest, Unavailability
from . import filters
from .permissions import can_manage_rotation, can_manage_user, managed_teams, request_is_rota_admin
from .serializers_personal import (
    ImportResultSerializer,
    SwapSerializer,
    UnavailabilityImportSerializer,
    UnavailabilitySerializer,
)


class SwapViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Swap requests. POST offers your own shift; then ``take``, ``approve`` or ``cancel``.

    Anyone in the rotation takes an offer (of two takers at once exactly one wins, the other
    gets 409); staff and the rotation's managers approve or ``reject`` a taken swap where the
    rotation requires approval (as set when it is taken); the person who offered it (or
    staff) cancels it; the taker may ``withdraw`` (403 for anyone else, 409 once approved by
    a manager or once the shift started).
    """

    serializer_class = SwapSerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.SwapFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return SwapRequest.objects.select_related("shift", "offered_by", "taken_by", "approved_by")

    def can_create(self, request):
        return True  # whose shift it is is checked against the body

    def can_change(self, request, swap):
        if self.action in ("approve", "reject"):
            return can_manage_rotation(request, swap.shift.rotation)
        if self.action == "cancel":
            return swap.offered_by_id == request.user.pk or request_is_rota_admin(request)
        return True  # take: the service checks the taker; withdraw: the action does

    def perform_create(self, serializer):
        shift = serializer.validated_data["shift"]
        if shift.user_id != self.request.user.pk:
            raise PermissionDenied("You can only offer your own shift.")
        serializer.instance = services.swap_offer(
            shift=shift,
            by=self.request.user,
            message=serializer.validated_data.get("message", ""),
        )

    def _step(self, service):
        swap = self.get_object()
        swap = service(swap=swap, by=self.request.user)
        return Response(self.get_serializer(swap).data)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """Take the offered shift (it changes hands now, or once a manager approves)."""
        return self._step(services.swap_take)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a taken swap: the shift goes to the person who took it."""
        return self._step(services.swap_approve)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a taken swap: the shift stays with the person who offered it."""
        return self._step(services.swap_reject)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Withdraw an offer that has not changed hands yet."""
        return self._step(services.swap_cancel)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Give back a shift you took: before approval the offer opens again; without
        approval, until the shift starts, it goes back to the person who offered it."""
        swap = self.get_object()
        if swap.taken_by_id is None or swap.taken_by_id != request.user.pk:
            raise PermissionDenied("Only the person who took this shift can withdraw it.")
        swap = services.swap_withdraw(swap=swap, by=request.user)
        return Response(self.get_serializer(swap).data)


class UnavailabilityViewSet(viewsets.ModelViewSet):
    """Leave and public holidays of people and teams; ``import`` reads an iCalendar file or URL.

    Everyone manages their own; managers also those of their teams and their teams' members;
    staff everyone's. Without ``user`` or ``team`` an entry is the caller's.
    """

    serializer_class = UnavailabilitySerializer
    permission_classes = [ReadOrManage]
    filterset_class = filters.UnavailabilityFilter
    search_fields = ["reason"]
    ordering_fields = ["start_date", "end_date", "id"]

    def get_queryset(self):
        return Unavailability.objects.select_related("user", "team")

    def filter_queryset(self, queryset):
        # Searching reasons would tell what a hidden reason says: a search covers only the
        # entries whose reason the caller may read (permissions.leave_reason_visible).
        if self.request.query_params.get("search") and not request_is_rota_admin(self.request):
            managed = managed_teams(self.request)
            queryset = queryset.filter(
                Q(user__isnull=True)
                | Q(user=self.request.user)
                | Q(user__memberships__team_id__in=managed)
            ).distinct()
        return super().filter_queryset(queryset)

    def can_create(self, request):
        return True  # whose leave it is is checked against the body

    def can_change(self, request, entry):
        return self._may_act_for(entry.user, entry.team)

    def _may_act_for(self, user, team):
        if team is not None:
            return request_is_rota_admin(self.request) or team.pk in managed_teams(self.request)
        return user is not None and can_manage_user(self.request, user)

    def _check_owner(self, user, team):
        if not self._may_act_for(user, team):
            raise PermissionDenied(
                "You can only record your own unavailability, or that of teams you manage "
                "and their members."
            )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("user") is None and data.get("team") is None:
            data["user"] = self.request.user
        self._check_owner(data.get("user"), data.get("team"))
        serializer.instance = services.unavailability_create(by=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        entry = serializer.instance
        if "user" in data or "team" in data:
            self._check_owner(data.get("user", entry.user), data.get("team", entry.team))
        serializer.instance = services.unavailability_update(
            unavailability=entry, by=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.unavailability_delete(unavailability=instance)

    @extend_schema(request=UnavailabilityImportSerializer, responses=ImportResultSerializer)
    @action(detail=False, methods=["post"], url_path="import")
    def import_calendar(self, request):
        """Import leave from an .ics upload (``file``) or ``url``; repeating it is safe.

        The answer counts what changed and lists each event not taken in ``skipped`` with
        its line, UID, summary and reason.
        """
        body = UnavailabilityImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user, team = data.get("user"), data.get("team")
        if user is None and team is None:
            user = request.user
        self._check_owner(user, team)
        upload = data.get("file")
        try:
            result = services.unavailability_import_ics(
                data=upload.read() if upload is not None else None,
                url=data.get("url") or None,
                user=user,
                team=team,
                kind=data["kind"],
                prune=data["prune"],
                calendar=data.get("calendar", ""),
                by=request.user,
            )
        except CalendarImportError as exc:
            # The service calls the calendar's content "data"; here it is the uploaded file.
            raise ValidationError(
                {"file" if key == "data" else key: value for key, value in exc.message_dict.items()}
            ) from exc
        payload = ImportResultSerializer(result).data
        created = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(payload, status=created)
