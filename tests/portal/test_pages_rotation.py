"""The rotation page that reminders and handoffs link to."""

import datetime

import pytest
from django.utils import timezone

from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=7)


def test_the_page_shows_what_the_rotation_covers_its_order_and_coming_duty(client):
    team = TeamFactory(name="Payments", slug="payments")
    bob = UserFactory(first_name="Bob", last_name="Stone")
    dana = UserFactory(first_name="Dana", last_name="Lee")
    rotation = RotationFactory(name="Payments on-call", team=team, participants=[dana, bob])
    ComponentFactory(
        name="Checkout API", owner_team=team, runbook_url="https://runbooks.example.com/c"
    )
    ComponentFactory(name="Search")  # another team's
    start = timezone.now() - datetime.timedelta(days=1)
    ShiftFactory(rotation=rotation, user=bob, start=start, end=start + WEEK)
    ShiftFactory(rotation=rotation, user=dana, start=start + WEEK, end=start + 2 * WEEK)
    client.force_login(UserFactory())

    response = client.get(f"/rotations/{rotation.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Payments on-call</h1>" in html
    assert [c.name for c in response.context["components"]] == ["Checkout API"]
    assert 'href="https://runbooks.example.com/c"' in html
    assert response.context["participants"] == ["Dana Lee", "Bob Stone"]
    assert [who for _, who in response.context["coming"]] == ["Bob Stone", "Dana Lee"]
    assert 'href="/incidents/?team=payments"' in html


def test_an_unknown_rotation_is_a_404_and_anonymous_visitors_sign_in(client):
    rotation = RotationFactory()
    assert client.get(f"/rotations/{rotation.pk}/").url.startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get(f"/rotations/{rotation.pk + 1}/").status_code == 404
