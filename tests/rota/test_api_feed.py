import pytest
from rest_framework.test import APIClient

from rota.models import FeedToken
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory

pytestmark = pytest.mark.django_db


def test_get_returns_the_callers_feed_url(user_client, user):
    body = user_client.get("/api/v1/me/feed/").json()
    token = FeedToken.objects.get(user=user, kind="person")
    assert body["kind"] == "person"
    assert body["url"].startswith(f"http://testserver/calendar/{token.key}")
    assert body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].split("://", 1)[1]
    assert user_client.get("/api/v1/me/feed/").json()["url"] == body["url"]  # stable


def test_post_regenerates_and_the_old_url_stops_working(user_client, client):
    old = user_client.get("/api/v1/me/feed/").json()["url"]
    assert client.get(old.replace("http://testserver", "")).status_code == 200
    new = user_client.post("/api/v1/me/feed/").json()["url"]
    assert new != old
    assert client.get(old.replace("http://testserver", "")).status_code == 404
    assert client.get(new.replace("http://testserver", "")).status_code == 200


def test_team_and_rotation_feeds(user_client, user):
    team = TeamFactory(slug="payments")
    rotation = RotationFactory()
    team_feed = user_client.get("/api/v1/me/feed/?team=payments").json()
    rotation_feed = user_client.get(f"/api/v1/me/feed/?rotation={rotation.pk}").json()
    assert (team_feed["kind"], team_feed["team"]) == ("team", "payments")
    assert (rotation_feed["kind"], rotation_feed["rotation"]) == ("rotation", rotation.pk)
    assert FeedToken.objects.filter(user=user).count() == 2
    assert team.pk


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?team=ghost", 404, None),
        ("?rotation=999999", 404, None),
        ("?rotation=abc", 400, "rotation"),
        ("?team=a&rotation=1", 400, "team"),
    ],
)
def test_bad_parameters(user_client, query, status, field):
    response = user_client.get(f"/api/v1/me/feed/{query}")
    assert response.status_code == status
    if field:
        assert field in response.json()


def test_each_person_sees_only_their_own_url(make_client):
    alice, bob = UserFactory(), UserFactory()
    MembershipFactory(user=alice)
    a = make_client(alice).get("/api/v1/me/feed/").json()["url"]
    b = make_client(bob).get("/api/v1/me/feed/").json()["url"]
    assert a != b
    assert FeedToken.objects.get(user=alice).key in a


def test_anonymous_is_refused():
    assert APIClient().get("/api/v1/me/feed/").status_code == 401
