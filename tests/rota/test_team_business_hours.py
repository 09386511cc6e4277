"""A team's business hours at an instant: its zone, the clocks, its public holidays."""

import datetime

import pytest

from rota.models import Unavailability
from rota.selectors.holidays import team_in_business_hours
from tests.ownership.factories import TeamFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_business_hours_follow_the_teams_clock_and_holidays():
    team = TeamFactory(timezone="Europe/London")
    # Tuesday 2 April 2024 is in summer time (BST, UTC+1): 08:30 UTC is 09:30 local, open;
    # 16:30 UTC is 17:30 local, closed. Monday 1 April is Easter Monday, a team holiday.
    Unavailability.objects.create(
        team=team,
        kind=Unavailability.Kind.PUBLIC_HOLIDAY,
        start_date=datetime.date(2024, 4, 1),
        end_date=datetime.date(2024, 4, 1),
    )
    assert team_in_business_hours(team=team, at=datetime.datetime(2024, 4, 2, 8, 30, tzinfo=UTC))
    assert not team_in_business_hours(
        team=team, at=datetime.datetime(2024, 4, 2, 16, 30, tzinfo=UTC)
    )
    assert not team_in_business_hours(
        team=team, at=datetime.datetime(2024, 4, 1, 11, 0, tzinfo=UTC)
    )
    # Saturday 6 April, noon: a weekend.
    assert not team_in_business_hours(
        team=team, at=datetime.datetime(2024, 4, 6, 12, 0, tzinfo=UTC)
    )
