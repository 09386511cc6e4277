"""A team's weekly triage day and time, through the teams API."""

import pytest

from ownership.models import Team

from .factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/payments/"


@pytest.fixture
def payments():
    return TeamFactory(slug="payments", name="Payments", timezone="Europe/London")


def test_a_team_without_a_meeting_reads_empty_values(payments, user_client):
    body = user_client.get(URL).json()
    assert (body["triage_day"], body["triage_time"]) == ("", None)


def test_the_teams_manager_sets_the_meeting_in_the_teams_time(payments, make_client, manager_of):
    client = make_client(manager_of(payments))
    response = client.patch(URL, {"triage_day": "monday", "triage_time": "10:00"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["triage_day"], response.json()["triage_time"]) == ("monday", "10:00")
    payments.refresh_from_db()
    assert (payments.triage_weekday, str(payments.triage_time)) == (0, "10:00:00")
    # Cancelling the meeting: both null.
    response = client.patch(URL, {"triage_day": None, "triage_time": None}, format="json")
    assert response.status_code == 200
    payments.refresh_from_db()
    assert (payments.triage_day, payments.triage_time) == ("", None)


def test_staff_set_it_too_and_others_may_not(payments, staff_client, make_client, api_client):
    body = {"triage_day": "thursday", "triage_time": "14:30"}
    engineer = MembershipFactory(team=payments).user
    other_manager = MembershipFactory(team=TeamFactory(), role="manager").user
    assert api_client.patch(URL, body, format="json").status_code == 401
    for user in (engineer, other_manager):
        assert make_client(user).patch(URL, body, format="json").status_code == 403
    assert Team.objects.get(pk=payments.pk).triage_day == ""
    assert staff_client.patch(URL, body, format="json").status_code == 200
    assert Team.objects.get(pk=payments.pk).triage_day == "thursday"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"triage_day": "monday"}, "triage_time"),
        ({"triage_time": "10:00"}, "triage_day"),
        ({"triage_day": "funday", "triage_time": "10:00"}, "triage_day"),
        ({"triage_day": "monday", "triage_time": "25:00"}, "triage_time"),
    ],
)
def test_bad_values_are_refused_naming_the_field(payments, staff_client, body, field):
    response = staff_client.patch(URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Team.objects.get(pk=payments.pk).triage_day == ""
