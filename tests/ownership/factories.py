import factory
from django.contrib.auth import get_user_model

from ownership import services
from ownership.models import Component, Membership, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pass-word-123")


def rota_admin(**kwargs):
    """Create a rota admin (core.permissions): staff in the "Rota admins" group."""
    from django.contrib.auth.models import Group

    from core.permissions import ROTA_ADMINS_GROUP

    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get_or_create(name=ROTA_ADMINS_GROUP)[0])
    return user


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    email = factory.LazyAttribute(lambda t: f"{t.slug}@example.com")
    timezone = "Europe/London"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.ENGINEER


class ComponentFactory(factory.django.DjangoModelFactory):
    """Create components through the service so effective owners and history are right."""

    class Meta:
        model = Component

    name = factory.Sequence(lambda n: f"Component {n}")
    slug = factory.Sequence(lambda n: f"component-{n}")
    kind = Component.Kind.SERVICE
    owner_team = factory.SubFactory(TeamFactory)
    parent = None
    tier = Component.Tier.STANDARD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        paths = kwargs.pop("paths", None)
        return services.component_create(paths=paths, **kwargs)
