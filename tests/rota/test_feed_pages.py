import pytest

from rota.models import FeedToken
from tests.ownership.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    membership = MembershipFactory()
    client.force_login(membership.user)
    return membership


def test_page_shows_subscribe_links_copy_buttons_and_instructions(client, member):
    html = client.get("/me/feeds/").content.decode()
    token = FeedToken.objects.get(user=member.user, kind="person")
    assert f'value="http://testserver/calendar/{token.key}' in html
    assert 'href="webcal://testserver/calendar/' in html
    assert 'class="copy"' in html
    for app in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert app in html


def test_page_says_shifts_show_free_and_where_to_ask_for_busy(client, member):
    html = client.get("/me/feeds/").content.decode()
    assert "Shifts show as free time" in html
    assert 'href="/me/notifications/"' in html
    assert "?busy=1" in html


def test_regenerate_from_the_page_replaces_the_url(client, member):
    client.get("/me/feeds/")
    token = FeedToken.objects.get(user=member.user, kind="person")
    old_key = token.key
    response = client.post(f"/me/feeds/{token.pk}/regenerate/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.key != old_key


def test_nobody_regenerates_someone_elses_token(client, member):
    other = FeedToken.objects.create(user=UserFactory(), kind="person", key="f" * 32)
    assert client.post(f"/me/feeds/{other.pk}/regenerate/").status_code == 404
    other.refresh_from_db()
    assert other.key == "f" * 32


def test_team_feed_is_offered_to_members_and_created_on_request(client, member):
    html = client.get("/me/feeds/").content.decode()
    assert f"Get a feed of the {member.team.name} rota" in html
    client.post("/me/feeds/new/", {"team": member.team.slug})
    assert FeedToken.objects.filter(user=member.user, kind="team", team=member.team).exists()


def test_page_needs_login(client):
    assert client.get("/me/feeds/").status_code == 302


@pytest.mark.parametrize("teams", [1, 10])
def test_page_query_count_is_pinned(client, member, django_assert_num_queries, teams):
    for _ in range(teams - 1):
        MembershipFactory(user=member.user)
    client.get("/me/feeds/")  # the first visit creates the personal token
    # session, user, personal token, other tokens, teams
    with django_assert_num_queries(5):
        assert client.get("/me/feeds/").status_code == 200
