"""A bug's page, which timebox notices and triage agendas link to, and deciding a bug there."""

import datetime

import pytest

from incidents import services
from incidents.models import Bug
from tests.incidents.factories import BugFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def team():
    return TeamFactory(name="Payments", slug="payments", timezone="Europe/London")


@pytest.fixture
def member(team):
    return MembershipFactory(team=team).user


@pytest.fixture
def bug(team, member):
    bug = BugFactory(
        title="Refunds stuck",
        severity="SEV2",
        component=ComponentFactory(owner_team=team, name="Checkout"),
        created_at=datetime.datetime(2024, 5, 30, 9, tzinfo=UTC),
    )
    # Friday 15:00 BST plus one working day: Monday 15:00 BST.
    start = datetime.datetime(2024, 5, 31, 14, tzinfo=UTC)
    return services.bug_investigation_start(bug=bug, by=member, at=start)


def test_the_page_shows_the_investigation_in_the_viewers_time_and_the_decide_form(
    client, bug, member
):
    client.force_login(member)
    response = client.get(f"/bugs/{bug.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Refunds stuck" in html and "Checkout" in html
    assert "Mon 3 Jun 2024 15:00 BST" in html  # the timebox's end, in the team's zone
    assert f'action="/bugs/{bug.pk}/decide/"' in html


def test_a_team_member_turns_the_bug_into_a_story(client, bug, member):
    client.force_login(member)
    response = client.post(
        f"/bugs/{bug.pk}/decide/",
        {"outcome": "story", "story_url": "https://jira.example.com/PAY-7", "story_points": "5"},
    )
    assert response.status_code == 302
    bug.refresh_from_db()
    assert (bug.outcome, bug.story_url, bug.story_points) == (
        "story",
        "https://jira.example.com/PAY-7",
        5,
    )
    assert bug.decided_by == member


def test_a_story_needs_its_link_and_points(client, bug, member):
    client.force_login(member)
    response = client.post(f"/bugs/{bug.pk}/decide/", {"outcome": "story"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Link the story the bug was turned into." in html
    assert "the story&#x27;s estimate in points" in html
    assert Bug.objects.get(pk=bug.pk).outcome == ""


def test_someone_outside_the_team_reads_but_may_not_decide(client, bug):
    outsider = MembershipFactory(team=TeamFactory()).user
    client.force_login(outsider)
    html = client.get(f"/bugs/{bug.pk}/").content.decode()
    assert "decide/" not in html
    response = client.post(f"/bugs/{bug.pk}/decide/", {"outcome": "wont_fix"})
    assert response.status_code == 403
    assert Bug.objects.get(pk=bug.pk).outcome == ""


def test_a_decided_bug_cannot_be_decided_again(client, bug, member):
    services.bug_decide(bug=bug, outcome="fixed", by=member)
    client.force_login(member)
    response = client.post(f"/bugs/{bug.pk}/decide/", {"outcome": "wont_fix"})
    assert response.status_code == 409
    assert Bug.objects.get(pk=bug.pk).outcome == "fixed"


def test_the_page_needs_a_sign_in(client, bug):
    response = client.get(f"/bugs/{bug.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
