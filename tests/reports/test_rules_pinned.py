"""A member's own public holiday lowers the team's capacity (README "Public holidays").

Payments (tests.reports.capacity_world): four engineers, 8-hour days, sprint 11 from Monday 3
to Sunday 16 June 2024, ten working days, no team holidays: 4 x 10 x 8 = 320 h.
"""

import datetime

import pytest
from django.utils import timezone

from rota.models import Unavailability
from tests.rota.factories import UnavailabilityFactory

from .capacity_world import NOW, build, work

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/payments/capacity/"


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def own_holiday(user, day):
    return UnavailabilityFactory(
        user=user,
        team=None,
        start_date=day,
        end_date=day,
        kind=Unavailability.Kind.PUBLIC_HOLIDAY,
        reason="Regional holiday",
    )


def test_an_engineers_own_public_holiday_takes_one_working_day_off_the_capacity(make_client):
    world = build()
    work(world, 52 * 60)
    # Worked out on paper:
    # - engineer 0's own holiday on Wednesday 5 June (not a team holiday): one person-day,
    #   8 h off -> 312 h;
    # - engineer 1's own holiday on Saturday 8 June: not a working day, nothing off;
    # - the manager's own holiday on Thursday 6 June: managers are not in the head count.
    # Capacity 312 h, buffer 20% = 62.4 h; 52 h used = 83.3%, 10.4 h (16.7%) left.
    own_holiday(world.engineers[0], datetime.date(2024, 6, 5))
    own_holiday(world.engineers[1], datetime.date(2024, 6, 8))
    own_holiday(world.manager, datetime.date(2024, 6, 6))

    response = make_client(world.engineers[2]).get(URL)

    assert response.status_code == 200
    sprint = response.json()["current_sprint"]
    assert (sprint["capacity_hours"], sprint["buffer_hours"]) == (312.0, 62.4), sprint
    assert (sprint["buffer_used_percent"], sprint["buffer_left_hours"]) == (83.3, 10.4), sprint
