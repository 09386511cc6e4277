"""/api/v1/bugs/: filing, the triage queue filter, the timebox and who may change a bug."""

import datetime

import pytest
from django.utils import timezone

from incidents.services import bug_investigation_start
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory

from .factories import BugFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/bugs/"
UTC = datetime.UTC


@pytest.fixture
def team():
    return TeamFactory(slug="payments")


@pytest.fixture
def member(team):
    return MembershipFactory(team=team).user


def test_anyone_signed_in_files_a_bug_for_the_fixing_team(user_client, user, team):
    ComponentFactory(slug="checkout", owner_team=team)

    response = user_client.post(URL, {"title": "Rounding error", "component": "checkout"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["team"], body["component"], body["reported_by"]) == (
        "payments",
        "checkout",
        user.username,
    )
    assert (body["state"], body["timebox_days"], body["overrun"]) == ("new", 1, False)


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    for _ in range(rows):
        BugFactory()
    with django_assert_num_queries(2):
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_the_triage_queue_filter_orders_the_teams_open_bugs(user_client, team, user):
    start = datetime.datetime(2030, 1, 1, tzinfo=UTC)
    day = datetime.timedelta(days=1)
    b3 = BugFactory(team=team, severity="SEV3", created_at=start)
    b1_new = BugFactory(team=team, severity="SEV1", created_at=start + 2 * day)
    b1_old = BugFactory(team=team, severity="SEV1", created_at=start + day)
    BugFactory(team=team, severity="SEV1", outcome="wont_fix")
    BugFactory(severity="SEV1")

    rows = user_client.get(URL, {"triage_queue": "payments"}).json()["results"]

    assert [row["id"] for row in rows] == [b1_old.pk, b1_new.pk, b3.pk]


def test_overrun_bugs_are_flagged_and_filterable(user_client, team):
    past = timezone.now() - datetime.timedelta(days=3)
    late = BugFactory(
        team=team, investigation_started_at=past, timebox_ends_at=past + datetime.timedelta(days=1)
    )
    BugFactory(team=team)

    rows = user_client.get(URL, {"overrun": "true"}).json()["results"]

    assert [(row["id"], row["overrun"], row["state"]) for row in rows] == [
        (late.pk, True, "investigating")
    ]


def test_a_team_member_starts_and_decides_an_investigation(make_client, member, team):
    bug = BugFactory(team=team)
    client = make_client(member)

    started = client.post(f"{URL}{bug.pk}/start/", {"timebox_days": 2})
    decided = client.post(
        f"{URL}{bug.pk}/decide/",
        {"outcome": "story", "story_url": "https://jira.example.com/PAY-7", "story_points": 3},
    )

    assert started.status_code == 200, started.content
    assert (started.json()["investigator"], started.json()["timebox_days"]) == (
        member.username,
        2,
    )
    assert started.json()["timebox_ends_at"] is not None
    assert decided.status_code == 200, decided.content
    assert (decided.json()["outcome"], decided.json()["story_points"]) == ("story", 3)
    assert decided.json()["state"] == "done"


def test_outsiders_may_not_change_start_or_decide(user_client, team):
    bug = BugFactory(team=team)

    assert user_client.patch(f"{URL}{bug.pk}/", {"severity": "SEV1"}).status_code == 403
    assert user_client.post(f"{URL}{bug.pk}/start/").status_code == 403
    assert user_client.post(f"{URL}{bug.pk}/decide/", {"outcome": "wont_fix"}).status_code == 403
    bug.refresh_from_db()
    assert (bug.severity, bug.investigation_started_at, bug.outcome) == ("SEV3", None, "")


def test_staff_may_change_any_bug(staff_client):
    bug = BugFactory()

    response = staff_client.patch(f"{URL}{bug.pk}/", {"severity": "SEV2"})

    assert response.status_code == 200
    assert response.json()["severity"] == "SEV2"


def test_a_story_without_its_estimate_is_a_400_and_deciding_twice_a_409(make_client, member, team):
    bug = BugFactory(team=team)
    client = make_client(member)

    missing = client.post(f"{URL}{bug.pk}/decide/", {"outcome": "story"})
    client.post(f"{URL}{bug.pk}/decide/", {"outcome": "wont_fix"})
    again = client.post(f"{URL}{bug.pk}/decide/", {"outcome": "fixed"})

    assert missing.status_code == 400
    assert set(missing.json()) == {"story_url", "story_points"}
    assert again.status_code == 409
    assert again.json() == {
        "detail": f'The bug "{bug.title}" on {bug.component.name} is decided already (won\'t fix).'
    }


def test_starting_an_investigation_twice_is_a_409_naming_the_investigator(make_client, team):
    team.timezone = "Europe/Berlin"
    team.save()
    ComponentFactory(slug="refunds", name="Refunds", owner_team=team)
    bug = BugFactory(team=team, title="Refunds stuck", component__name="Refunds")
    alice = MembershipFactory(team=team, user__first_name="Alice", user__last_name="Martin").user
    bug_investigation_start(bug=bug, by=alice, at=datetime.datetime(2030, 1, 7, 8, 30, tzinfo=UTC))

    again = make_client(alice).post(f"{URL}{bug.pk}/start/", {})

    # Started 08:30 UTC on Monday 7 January 2030: 09:30 in Berlin (CET), the team's zone.
    assert again.status_code == 409
    assert again.json() == {
        "detail": 'Alice Martin started investigating the bug "Refunds stuck" on Refunds at '
        "Mon 7 Jan 09:30 (Europe/Berlin) already."
    }
