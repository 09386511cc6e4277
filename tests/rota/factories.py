import datetime

import factory

from rota.models import (
    Override,
    Rotation,
    RotationParticipant,
    Shift,
    SprintCalendar,
    SupportPolicy,
    SupportPolicyComponent,
    SwapRequest,
    Unavailability,
)
from rota.services._common import rota_touch
from tests.ownership.factories import TeamFactory, UserFactory


class SprintCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SprintCalendar

    name = factory.Sequence(lambda n: f"Sprints {n}")
    start_date = datetime.date(2024, 1, 1)
    length_days = 14
    timezone = "Europe/London"


class RotationFactory(factory.django.DjangoModelFactory):
    """A weekly person rotation; pass ``participants=[...]`` (users or teams) in turn order."""

    class Meta:
        model = Rotation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rotation {n}")
    kind = Rotation.Kind.PERSON
    shift_length_unit = Rotation.Unit.WEEKS
    shift_length_count = 1
    handoff_time = datetime.time(9, 0)
    timezone = "Europe/London"
    start_date = datetime.date(2024, 1, 1)
    team = factory.SubFactory(TeamFactory)

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        for position, item in enumerate(extracted or ()):
            field = "team" if self.kind == Rotation.Kind.TEAM else "user"
            RotationParticipant.objects.create(rotation=self, position=position, **{field: item})


class TeamRotationFactory(RotationFactory):
    """Teams take turns in shifts of two sprints."""

    kind = Rotation.Kind.TEAM
    shift_length_unit = Rotation.Unit.SPRINTS
    shift_length_count = 2
    sprint_calendar = factory.SubFactory(SprintCalendarFactory)
    team = None


class RotationParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RotationParticipant

    rotation = factory.SubFactory(RotationFactory)
    position = factory.Sequence(lambda n: n)
    user = factory.SubFactory(UserFactory)


class TouchesRota:
    """Replace the rota version tag after creating, as the services do on every rota write.

    Factories write rows directly; without the new tag, an on-call answer cached earlier in
    the same test would not see the new shift or override.
    """

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        row = super()._create(model_class, *args, **kwargs)
        rota_touch()
        return row


class ShiftFactory(TouchesRota, factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    rotation = factory.SubFactory(RotationFactory)
    start = datetime.datetime(2024, 1, 1, 9, tzinfo=datetime.UTC)
    end = factory.LazyAttribute(lambda s: s.start + datetime.timedelta(days=7))
    user = factory.SubFactory(UserFactory)


class OverrideFactory(TouchesRota, factory.django.DjangoModelFactory):
    class Meta:
        model = Override

    rotation = factory.SubFactory(RotationFactory)
    start = datetime.datetime(2024, 1, 2, 9, tzinfo=datetime.UTC)
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=8))
    user = factory.SubFactory(UserFactory)


class UnavailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unavailability

    user = factory.SubFactory(UserFactory)
    start_date = datetime.date(2024, 1, 8)
    end_date = datetime.date(2024, 1, 12)
    reason = "Holiday"


class SwapRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SwapRequest

    shift = factory.SubFactory(ShiftFactory)
    offered_by = factory.LazyAttribute(lambda s: s.shift.user)


class SupportPolicyFactory(factory.django.DjangoModelFactory):
    """An ownership policy; pass ``components=[...]`` to name what it covers."""

    class Meta:
        model = SupportPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    model = SupportPolicy.Model.OWNERSHIP

    @factory.post_generation
    def components(self, create, extracted, **kwargs):
        for component in extracted or ():
            SupportPolicyComponent.objects.create(policy=self, component=component)
