"""Managers set a team's capacity buffer in the admin."""

import pytest
from django.urls import reverse

from reports.models import TeamCapacity
from tests.ownership.factories import TeamFactory, UserFactory

from .factories import TeamCapacityFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_list_shows_each_teams_buffer(admin_client):
    TeamCapacityFactory(team__name="Payments", buffer_percent=25)
    response = admin_client.get(reverse("admin:reports_teamcapacity_changelist"))
    assert response.status_code == 200
    assert "Payments" in response.content.decode()


def test_a_buffer_is_added_for_a_team_and_must_be_a_percentage(admin_client):
    team = TeamFactory()
    url = reverse("admin:reports_teamcapacity_add")
    form = {"team": team.pk, "buffer_percent": 130, "team_size": "", "hours_per_day": 8}
    response = admin_client.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert not TeamCapacity.objects.exists()
    response = admin_client.post(url, {**form, "buffer_percent": 30})
    assert response.status_code == 302
    capacity = TeamCapacity.objects.get(team=team)
    assert (capacity.buffer_percent, capacity.team_size, capacity.hours_per_day) == (30, None, 8)
