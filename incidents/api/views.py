"""The incidents API: incidents with their actions, bugs with triage, integrations.

Each view validates input with a serializer, checks who may act (rules in
:mod:`incidents.api.permissions`), calls one service or selector and serializes the result.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.permissions import ReadOrManage

from .. import selectors, services
from ..models import TimelineEntry
from .filters import BugFilter, IncidentFilter
from .permissions import (
    IntegrationPermission,
    can_manage_integration_component,
    can_respond,
    can_work_on_bug,
)
from .serializers import (
    BugDecideSerializer,
    BugSerializer,
    BugStartSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IntegrationSerializer,
    MitigateSerializer,
    NoteSerializer,
    TimelineEntrySerializer,
    TransitionSerializer,
)


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents, newest first. Everyone signed in opens, acknowledges and annotates them;
    responders (the people routed, the responding and owning teams, staff) mitigate, resolve
    and edit them."""

    permission_classes = [ReadOrManage]
    filterset_class = IncidentFilter
    search_fields = ["title", "description", "component__slug", "component__name"]
    ordering_fields = ["created_at", "severity", "status", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Actions open to everyone signed in; the rest need can_respond.
    open_actions = {"acknowledge", "note"}

    def get_queryset(self):
        queryset = selectors.incident_list()
        if self.action != "timeline":  # the timeline answers entries only
            queryset = queryset.prefetch_related("fallback_responders")
        if self.action == "retrieve":
            entries = TimelineEntry.objects.select_related("author")
            queryset = queryset.prefetch_related(Prefetch("timeline", queryset=entries))
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return IncidentDetailSerializer
        if self.action == "create":
            return IncidentCreateSerializer
        return IncidentSerializer

    def can_create(self, request):
        return True

    def can_change(self, request, incident):
        return self.action in self.open_actions or can_respond(request, incident)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer})
    def create(self, request, *args, **kwargs):
        """Open an incident, routed to whoever is on support for its component now."""
        body = IncidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        incident = services.incident_create(by=request.user, **body.validated_data)
        incident = selectors.incident_list().get(pk=incident.pk)
        data = IncidentSerializer(incident, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("component", None)  # fixed at creation (the serializer refuses a change)
        serializer.instance = services.incident_update(
            incident=serializer.instance, by=self.request.user, **data
        )

    def _transition(self, request, service, body_class=TransitionSerializer):
        incident = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        incident = service(incident=incident, by=request.user, **body.validated_data)
        incident = selectors.incident_list().get(pk=incident.pk)
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge the incident: escalation stops. Anyone signed in may."""
        return self._transition(request, services.incident_acknowledge)

    @extend_schema(request=MitigateSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def mitigate(self, request, pk=None):
        """Record the mitigation (``kind``: rollback, restart, config, hotfix)."""
        return self._transition(request, services.incident_mitigate, MitigateSerializer)

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve the incident."""
        return self._transition(request, services.incident_resolve)

    @extend_schema(request=NoteSerializer, responses={201: TimelineEntrySerializer})
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        """Add a note to the timeline. Anyone signed in may."""
        incident = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.incident_note(
            incident=incident, by=request.user, text=body.validated_data["text"]
        )
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """The incident's timeline, oldest first."""
        incident = self.get_object()
        page = self.paginate_queryset(selectors.incident_timeline(incident=incident))
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)


class BugViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Bugs with their timeboxed investigation. ``?triage_queue=<team>`` lists that team's open
    bugs in the order of the weekly triage (worst severity first, then oldest); ``overrun``
    flags an investigation past its timebox."""

    serializer_class = BugSerializer
    permission_classes = [ReadOrManage]
    filterset_class = BugFilter
    search_fields = ["title", "description", "component__slug"]
    ordering_fields = ["created_at", "severity", "timebox_ends_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.bug_list()

    def can_create(self, request):
        return True

    def can_change(self, request, bug):
        return can_work_on_bug(request, bug)

    def perform_create(self, serializer):
        bug = services.bug_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = selectors.bug_list().get(pk=bug.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("component", None)
        bug = services.bug_update(bug=serializer.instance, **data)
        serializer.instance = selectors.bug_list().get(pk=bug.pk)

    def _answer(self, bug):
        bug = selectors.bug_list().get(pk=bug.pk)
        return Response(BugSerializer(bug, context=self.get_serializer_context()).data)

    @extend_schema(request=BugStartSerializer, responses=BugSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the timeboxed investigation (default: one working day, by the caller)."""
        bug = self.get_object()
        body = BugStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.bug_investigation_start(bug=bug, by=request.user, **body.validated_data)
        )

    @extend_schema(request=BugDecideSerializer, responses=BugSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Record the outcome: fixed, story (with story_url and story_points) or wont_fix."""
        bug = self.get_object()
        body = BugDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.bug_decide(bug=bug, by=request.user, **body.validated_data))


class IntegrationViewSet(viewsets.ModelViewSet):
    """Alert integrations (staff, and managers of the team owning the component).

    The secret webhook URL is in the answer to creation and to ``regenerate`` only; Rota
    stores a hash of its token. ``signing_secret`` is write-only.
    """

    serializer_class = IntegrationSerializer
    permission_classes = [IntegrationPermission]
    search_fields = ["name", "component__slug"]
    ordering_fields = ["name", "id", "last_alert_at"]
    filterset_fields = ["kind", "active"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.integrations_visible_to(self.request)

    def can_create(self, request):
        return True  # the component decides; checked in perform_create

    def can_change(self, request, integration):
        return can_manage_integration_component(request, integration.component)

    def _check_component(self, data):
        if "component" in data and not can_manage_integration_component(
            self.request, data["component"]
        ):
            raise PermissionDenied(
                "Attach the integration to a component your team owns (only staff may leave "
                "it without a component)."
            )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("component", None)
        self._check_component(data)
        integration, url = services.integration_create(by=request.user, **data)
        context = {**self.get_serializer_context(), "url": url}
        return Response(
            IntegrationSerializer(integration, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        self._check_component(data)
        serializer.instance = services.integration_update(integration=serializer.instance, **data)

    @extend_schema(request=None, responses=IntegrationSerializer)
    @action(detail=True, methods=["post"])
    def regenerate(self, request, pk=None):
        """Issue a new secret URL; the old one stops working at once."""
        integration = self.get_object()
        url = services.integration_regenerate(integration=integration)
        context = {**self.get_serializer_context(), "url": url}
        return Response(IntegrationSerializer(integration, context=context).data)
