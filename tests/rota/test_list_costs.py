"""Pages that list the rota cost the same number of queries whatever the number of rows.

Each page is asked over a small and a larger organisation (5 or 50 shifts a rotation, 2 or 6
teams); the counts are pinned from the query log and must not move with the rows. A manager
(staff, not a superuser) sees their teams' rows only, for the same cost. bench/lists.py
measures the same pages over 200,000 shifts.

The organisation: each team has a daily person rotation (Europe/London) taking turns among
its 3 people, with ``shifts`` daily shifts from 2 days ago (plus an hour): the first is
over, the second in force, the rest to come. "maria" manages team 0 only.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ownership.models import Membership
from portal.demo.seed import managers_group_sync
from rota.api.views import ShiftPagination
from rota.models import Rotation, Shift
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
SHIFTS = "/admin/rota/shift/"
API = "/api/v1/shifts/"


def _org(*, teams: int, shifts: int) -> list[Rotation]:
    """Create ``teams`` teams, each with a daily rotation and ``shifts`` shifts in it."""
    first = timezone.now().replace(second=0, microsecond=0) - 2 * DAY + HOUR
    rotations = []
    for n in range(teams):
        team = TeamFactory(name=f"Team {n}", slug=f"team-{n}")
        people = [UserFactory(username=f"p{n}-{i}") for i in range(3)]
        for person in people:
            MembershipFactory(team=team, user=person)
        rotation = RotationFactory(
            name=f"Daily {n}",
            team=team,
            shift_length_unit=Rotation.Unit.DAYS,
            participants=people,
        )
        for d in range(shifts):
            start = first + d * DAY
            ShiftFactory(rotation=rotation, user=people[d % 3], start=start, end=start + DAY)
        rotations.append(rotation)
    return rotations


def _manager(team) -> object:
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(managers_group_sync())
    MembershipFactory(team=team, user=maria, role=Membership.Role.MANAGER)
    return maria


# From the query log: session, user (2); the filters' choices: rotations, and the teams and
# people in their turn orders (3); the capped count and the page with rotation, team and
# person (2); the routing settings the admin's menu reads (1): 8.
SUPERUSER_LIST_QUERIES = 8
# Session, user (2); model permissions, by group and own (2); the "rota admin" group check
# (1); the teams they manage (1); the 3 filters (the people they may pick join the "by
# person" query) and count and page (5); no routing settings in their menu: 11.
MANAGER_LIST_QUERIES = 11


@pytest.mark.parametrize("shifts", [5, 50])
def test_the_shift_list_costs_the_same_for_5_or_50_shifts_a_rotation(
    client, django_assert_num_queries, shifts
):
    _org(teams=2, shifts=shifts)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_assert_num_queries(SUPERUSER_LIST_QUERIES):
        response = client.get(SHIFTS, {"when": "all"})
    assert response.status_code == 200
    # 2 rotations x shifts rows, all of them (the list shows 100 a page).
    assert response.context["cl"].result_count == 2 * shifts


@pytest.mark.parametrize("shifts", [5, 50])
def test_a_manager_s_shift_list_costs_the_same_and_shows_their_teams_only(
    client, django_assert_num_queries, shifts
):
    rotations = _org(teams=2, shifts=shifts)
    client.force_login(_manager(rotations[0].team))
    with django_assert_num_queries(MANAGER_LIST_QUERIES):
        response = client.get(SHIFTS, {"when": "all"})
    assert response.status_code == 200
    shown = {shift.rotation.name for shift in response.context["cl"].result_list}
    assert shown == {"Daily 0"}
    assert response.context["cl"].result_count == shifts
    # Refused: another team's shift answers 403; allowed: their own opens.
    other = Shift.objects.filter(rotation=rotations[1]).first()
    mine = Shift.objects.filter(rotation=rotations[0]).first()
    assert client.get(f"{SHIFTS}{other.pk}/change/").status_code == 403
    assert client.get(f"{SHIFTS}{mine.pk}/change/").status_code == 200


def test_the_upcoming_list_starts_with_the_shift_in_force(admin_client):
    # 5 daily shifts from 2 days ago plus an hour: the first ended a day ago plus an hour,
    # the second is in force (until an hour from now), three are to come: 4 upcoming, 1 past.
    (rotation,) = _org(teams=1, shifts=5)
    shifts = list(Shift.objects.filter(rotation=rotation).order_by("start"))
    upcoming = admin_client.get(SHIFTS).context["cl"]
    assert [s.pk for s in upcoming.result_list] == [s.pk for s in shifts[1:]]
    past = admin_client.get(SHIFTS, {"when": "past"}).context["cl"]
    assert [s.pk for s in past.result_list] == [shifts[0].pk]


def test_a_count_past_the_cap_reads_more_than(admin_client, monkeypatch):
    from core.admin_paginator import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 6)
    _org(teams=2, shifts=5)  # 10 shifts, 8 of them not over
    html = admin_client.get(SHIFTS, {"when": "all"}).content.decode()
    assert "more than 6 shifts" in html
    daily_0 = Rotation.objects.get(name="Daily 0")
    html = admin_client.get(SHIFTS, {"rotation__id__exact": daily_0.pk}).content.decode()
    assert "4 shifts" in html  # Daily 0: 5 shifts, 4 not over (the default "upcoming")


# From the query log: session, user (2); the rotation and its turn order (2); the preview's
# check: shifts, overrides, the rotation's shifts and the other rotations holding its people
# (shifts, overrides), leave (6); the final schedule: shifts, overrides (2); which are edited
# (1); the change form: the rotation, its turn order twice, the routing settings, the content
# type, the team and the 6 people pickers of the turn order (12): 25, for 5 or 50 shifts.
PREVIEW_QUERIES = 25


@pytest.mark.parametrize("shifts", [5, 50])
def test_the_rotation_page_and_its_preview_cost_the_same_for_5_or_50_shifts(
    admin_client, django_assert_num_queries, shifts
):
    rotations = _org(teams=2, shifts=shifts)
    ContentType.objects.clear_cache()  # as in a fresh process, whichever test ran before
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = admin_client.get(f"/admin/rota/rotation/{rotations[0].pk}/change/")
    assert response.status_code == 200
    # 4 weeks from now: the shift in force (shift 1) and those starting within 28 days:
    # shift i starts 2 days less an hour before now plus i days, so i <= 29. 5 shifts: 1-4.
    rows = response.context["preview"].rows
    assert len([r for r in rows if not r.is_gap]) == (4 if shifts == 5 else 29)


@pytest.mark.parametrize("teams", [2, 6])
def test_the_now_board_costs_the_same_for_2_or_6_teams(client, django_assert_num_queries, teams):
    _org(teams=teams, shifts=5)
    client.force_login(UserFactory())
    # From the query log: session, user and their time zone (3); version tags (3); teams
    # (1); who is on call for every team: settings, rotations, shifts in force, overrides,
    # memberships (5); the policies (1; no components to fetch without policies): 13.
    with django_assert_num_queries(13):
        response = client.get("/")
    assert response.status_code == 200
    # The shift in force in each team is its second, held by the second person.
    for n in range(teams):
        assert f"p{n}-1" in response.content.decode()


@pytest.mark.parametrize("shifts", [5, 50])
@pytest.mark.parametrize("query", ["", "rotation", "user", "start_after"])
def test_the_shifts_api_page_costs_the_same_for_5_or_50_shifts(
    user_client, django_assert_num_queries, shifts, query
):
    rotations = _org(teams=2, shifts=shifts)
    params = {"page_size": 50}
    expected = 2 * shifts
    if query == "rotation":
        params["rotation"], expected = rotations[0].pk, shifts
    elif query == "user":
        # p0-0 holds every third shift of Daily 0: days 0, 3, 6, ...
        params["user"], expected = "p0-0", len(range(0, shifts, 3))
    elif query == "start_after":
        # Both rotations' shifts from day 2 on: shifts - 2 each.
        start = Shift.objects.order_by("start").values_list("start", flat=True)[4]
        params["start_after"], expected = start.isoformat(), 2 * (shifts - 2)
    # The rota and catalog versions (1) and the count (1), first in this process; the page
    # with rotation, team, person (1); the leave of the page's people (none, so no overrides
    # asked) (1): 4. The client is authenticated without a query.
    with django_assert_num_queries(4):
        response = user_client.get(API, params)
    # Asked again (the next page of a tool paging through), the count is remembered: 3.
    with django_assert_num_queries(3):
        assert user_client.get(API, params).json()["count"] == expected
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == expected
    assert len(body["results"]) == min(expected, 50)
    assert (body["next"] is not None) == (expected > 50)


def test_the_shifts_api_count_stays_exact_and_follows_every_change(user_client, monkeypatch):
    rotations = _org(teams=2, shifts=5)  # 10 shifts, 5 in each rotation
    first = user_client.get(API, {"page_size": 4}).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (10, 4, None)
    last = user_client.get(API, {"page_size": 4, "page": 3}).json()
    # Rows 9 and 10, no next page; the remembered count is the same 10.
    assert (last["count"], len(last["results"]), last["next"]) == (10, 2, None)
    assert user_client.get(API, {"page_size": 4, "page": 4}).status_code == 404
    narrow = user_client.get(API, {"page_size": 4, "rotation": rotations[0].pk})
    assert narrow.json()["count"] == 5
    # A shift added through a service bumps the rota version: the next count is 11 at once.
    from rota import services

    latest = Shift.objects.filter(rotation=rotations[0]).order_by("-end").first()
    services.shift_create(
        rotation=rotations[0],
        start=latest.end,
        end=latest.end + datetime.timedelta(days=1),
        user=latest.user,
    )
    assert user_client.get(API, {"page_size": 4}).json()["count"] == 11
    # A row written behind the services' back leaves the version as it was: the remembered
    # count holds up to count_max_age (60 s), then the row is counted.
    Shift.objects.create(
        rotation=rotations[1],
        start=latest.end,
        end=latest.end + datetime.timedelta(days=1),
        user=latest.user,
    )
    assert user_client.get(API, {"page_size": 4}).json()["count"] == 11
    monkeypatch.setattr(ShiftPagination, "count_max_age", 0.0)
    assert user_client.get(API, {"page_size": 4}).json()["count"] == 12
