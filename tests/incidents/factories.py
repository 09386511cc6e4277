import datetime

import factory

from incidents import services
from incidents.models import (
    Bug,
    EscalationPolicy,
    Incident,
    Integration,
    Severity,
    TimelineEntry,
    Urgency,
)
from tests.ownership.factories import ComponentFactory, UserFactory

UTC = datetime.UTC


class IntegrationFactory(factory.django.DjangoModelFactory):
    """An integration made by the service; ``.url`` and ``.token`` hold its secret URL."""

    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"Prometheus {n}")
    kind = Integration.Kind.ALERTMANAGER
    component = factory.SubFactory(ComponentFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        integration, url = services.integration_create(**kwargs)
        integration.url = url
        integration.token = url.rstrip("/").split("/")[-2]
        return integration


class IncidentFactory(factory.django.DjangoModelFactory):
    """A triggered incident routed to the component's owner (no routing lookup, no pages)."""

    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = Severity.SEV2
    urgency = Urgency.INTERRUPTING
    component = factory.SubFactory(ComponentFactory)
    owning_team = factory.LazyAttribute(lambda o: o.component.effective_owner_team)
    responding_team = factory.LazyAttribute(lambda o: o.component.effective_owner_team)
    responder = factory.SubFactory(UserFactory)
    created_at = factory.Sequence(
        lambda n: datetime.datetime(2030, 1, 7, 9, tzinfo=UTC) + datetime.timedelta(minutes=n)
    )


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    kind = TimelineEntry.Kind.NOTE
    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Note {n}")


class BugFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bug

    title = factory.Sequence(lambda n: f"Bug {n}")
    severity = Severity.SEV3
    component = factory.SubFactory(ComponentFactory)
    team = factory.LazyAttribute(lambda o: o.component.effective_owner_team)
    reported_by = factory.SubFactory(UserFactory)


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationPolicy

    support_policy = None
    primary_delay_minutes = 0
    secondary_delay_minutes = 5
    lead_delay_minutes = 15
