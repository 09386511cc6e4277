"""/api/v1/teams/<slug>/capacity/: read by everyone signed in, changed by staff and managers.

Payments (tests.reports.capacity_world): a 64 h buffer in sprint 11; 52 h of support work
leaves 12 h, 18.8% of the buffer (81.2% used).
"""

import pytest
from django.utils import timezone

from reports.models import TeamCapacity
from tests.ownership.factories import MembershipFactory, TeamFactory

from .capacity_world import NOW, build, work

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/payments/capacity/"
SECRET = "https://hooks.example.com/services/T0/B0/secret"


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def world():
    world = build(alert_webhook_url=SECRET)
    work(world, 52 * 60)
    return world


def test_an_engineer_reads_the_settings_and_this_sprints_buffer_but_not_the_webhook(
    world, make_client
):
    response = make_client(world.engineers[0]).get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "team": "payments",
        "buffer_percent": 20,
        "team_size": None,
        "hours_per_day": 8,
        "alert_chat": True,
        "current_sprint": {
            "sprint": 11,
            "first_day": "2024-06-03",
            "last_day": "2024-06-16",
            "at": "2024-06-10T09:00:00Z",
            "capacity_hours": 320.0,
            "buffer_hours": 64.0,
            "support_hours": 52.0,
            "buffer_used_percent": 81.2,
            "buffer_left_hours": 12.0,
            "buffer_left_percent": 18.8,
        },
    }


def test_a_manager_and_staff_see_the_alert_webhook(world, make_client, staff_client):
    assert make_client(world.manager).get(URL).json()["alert_webhook_url"] == SECRET
    assert staff_client.get(URL).json()["alert_webhook_url"] == SECRET


def test_a_team_without_settings_reads_the_defaults(make_client):
    world = build()
    TeamCapacity.objects.all().delete()
    body = make_client(world.engineers[0]).get(URL).json()
    assert (body["buffer_percent"], body["hours_per_day"], body["alert_chat"]) == (20, 8, True)
    assert body["current_sprint"]["buffer_hours"] == 64.0  # 4 people x 10 days x 8 h x 20%


def test_anonymous_callers_are_refused(world, api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.patch(URL, {"buffer_percent": 30}, format="json").status_code == 401
    assert TeamCapacity.objects.get(team=world.team).buffer_percent == 20


def test_the_teams_manager_changes_the_buffer_and_the_figures_follow(world, make_client):
    response = make_client(world.manager).patch(URL, {"buffer_percent": 25}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    # 25% of 320 h is 80 h; 52 h used is 65%, 28 h left.
    assert body["buffer_percent"] == 25
    assert body["current_sprint"]["buffer_hours"] == 80.0
    assert body["current_sprint"]["buffer_used_percent"] == 65.0
    assert body["current_sprint"]["buffer_left_hours"] == 28.0
    assert TeamCapacity.objects.get(team=world.team).buffer_percent == 25


def test_staff_change_any_team(world, staff_client):
    response = staff_client.patch(URL, {"alert_chat": False, "team_size": 5}, format="json")
    assert response.status_code == 200
    row = TeamCapacity.objects.get(team=world.team)
    assert (row.alert_chat, row.team_size) == (False, 5)


def test_engineers_and_other_teams_managers_may_not_change_it(world, make_client):
    other_manager = MembershipFactory(team=TeamFactory(), role="manager").user
    for user in (world.engineers[0], other_manager):
        response = make_client(user).patch(URL, {"buffer_percent": 50}, format="json")
        assert response.status_code == 403
        assert "managers" in response.json()["detail"]
    assert TeamCapacity.objects.get(team=world.team).buffer_percent == 20


def test_put_replaces_what_it_leaves_out_with_the_defaults(world, make_client):
    response = make_client(world.manager).put(URL, {"buffer_percent": 30}, format="json")
    assert response.status_code == 200
    row = TeamCapacity.objects.get(team=world.team)
    assert (row.buffer_percent, row.alert_webhook_url, row.hours_per_day) == (30, "", 8)


def test_the_first_change_creates_the_teams_row(make_client):
    world = build()
    TeamCapacity.objects.all().delete()
    response = make_client(world.manager).patch(URL, {"hours_per_day": 6}, format="json")
    assert response.status_code == 200
    assert TeamCapacity.objects.get(team=world.team).hours_per_day == 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"buffer_percent": 150}, "buffer_percent"),
        ({"buffer_percent": "a lot"}, "buffer_percent"),
        ({"hours_per_day": 0}, "hours_per_day"),
        ({"team_size": 0}, "team_size"),
        ({"alert_webhook_url": "ftp://hooks.example.com/x"}, "alert_webhook_url"),
        ({"alert_chat": "sometimes"}, "alert_chat"),
    ],
)
def test_bad_values_are_refused_naming_the_field(world, make_client, body, field):
    response = make_client(world.manager).patch(URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_unknown_team_is_404(world, user_client):
    assert user_client.get("/api/v1/teams/nope/capacity/").status_code == 404
