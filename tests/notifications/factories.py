import factory

from notifications.models import NotificationPreference
from tests.ownership.factories import UserFactory


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    timezone = "Europe/London"
