import datetime

import pytest

from rota.models import Override
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import OverrideFactory, RotationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/overrides/"
START = datetime.datetime(2030, 1, 8, 9, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def _window(**changes):
    body = {"start": "2030-01-08T09:00:00Z", "end": "2030-01-08T17:00:00Z", "reason": "sick"}
    body.update(changes)
    return body


def test_override_fields_follow_the_interface(user_client):
    ana = UserFactory(username="ana")
    override = OverrideFactory(user=ana, start=START, end=START + 8 * HOUR, reason="dentist")
    body = user_client.get(f"{URL}{override.pk}/").json()
    assert body == {
        "id": override.pk,
        "rotation": override.rotation_id,
        "user": "ana",
        "team": None,
        "start": "2030-01-08T09:00:00Z",
        "end": "2030-01-08T17:00:00Z",
        "reason": "dentist",
        "created_by": None,
    }


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    rotation = RotationFactory()
    for n in range(rows):
        OverrideFactory(
            rotation=rotation, start=START + 10 * n * HOUR, end=START + (10 * n + 8) * HOUR
        )
    with django_assert_num_queries(2):  # count, page with rotation and people
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_list_filters_by_rotation_and_user(user_client):
    ana = UserFactory(username="ana")
    mine = OverrideFactory(user=ana)
    OverrideFactory()
    assert [r["id"] for r in user_client.get(URL, {"user": "ana"}).json()["results"]] == [mine.pk]
    by_rotation = user_client.get(URL, {"rotation": mine.rotation_id}).json()["results"]
    assert [r["id"] for r in by_rotation] == [mine.pk]


def test_engineer_covers_for_someone(make_client):
    # A member of the rotation's team could take a swap on it, so may cover it.
    team = TeamFactory()
    engineer = MembershipFactory(team=team).user
    rotation = RotationFactory(team=team)
    response = make_client(engineer).post(URL, _window(rotation=rotation.pk))
    assert response.status_code == 201, response.content
    override = Override.objects.get()
    assert override.user == engineer
    assert override.created_by == engineer


def test_engineer_cannot_put_someone_else_on_cover(make_client):
    colleague = UserFactory(username="colleague")
    rotation = RotationFactory()
    response = make_client(UserFactory()).post(
        URL, _window(rotation=rotation.pk, user=colleague.username)
    )
    assert response.status_code == 403
    assert not Override.objects.exists()


def test_manager_arranges_cover_for_a_member(make_client, manager_of):
    team = TeamFactory()
    rotation = RotationFactory(team=team)
    member = MembershipFactory(team=team).user
    response = make_client(manager_of(team)).post(
        URL, _window(rotation=rotation.pk, user=member.username)
    )
    assert response.status_code == 201, response.content
    assert Override.objects.get().user == member


def test_manager_of_another_team_cannot_arrange_cover(make_client, manager_of):
    rotation = RotationFactory()
    response = make_client(manager_of(TeamFactory())).post(
        URL, _window(rotation=rotation.pk, user=UserFactory().username)
    )
    assert response.status_code == 403


def test_engineer_changes_and_deletes_their_own_override_only(make_client):
    engineer = UserFactory()
    rotation = RotationFactory(participants=[engineer])
    mine = OverrideFactory(rotation=rotation, user=engineer, start=START, end=START + 8 * HOUR)
    theirs = OverrideFactory(start=START, end=START + 8 * HOUR)
    client = make_client(engineer)

    assert client.patch(f"{URL}{mine.pk}/", {"reason": "swap"}).status_code == 200
    assert client.patch(f"{URL}{theirs.pk}/", {"reason": "mine"}).status_code == 403
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 403
    assert client.delete(f"{URL}{mine.pk}/").status_code == 204
    assert list(Override.objects.all()) == [theirs]


def test_engineer_cannot_hand_their_override_to_someone_else(make_client):
    engineer = UserFactory()
    other = UserFactory()
    mine = OverrideFactory(user=engineer)
    response = make_client(engineer).patch(f"{URL}{mine.pk}/", {"user": other.username})
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.user == engineer


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": "2030-01-08T08:00:00Z"}, "end"),
        ({"start": "2030-01-08T09:00:00"}, "start"),
        ({"user": "ghost"}, "user"),
        ({"rotation": 999999}, "rotation"),
    ],
)
def test_bad_input_names_the_field(staff_client, changes, field):
    body = _window(rotation=RotationFactory().pk, user=UserFactory().username)
    body.update(changes)
    response = staff_client.post(URL, body)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_overlapping_overrides_are_refused(staff_client):
    existing = OverrideFactory(start=START, end=START + 8 * HOUR)
    response = staff_client.post(
        URL,
        _window(
            rotation=existing.rotation_id,
            user=UserFactory().username,
            start="2030-01-08T12:00:00Z",
            end="2030-01-08T20:00:00Z",
        ),
    )
    assert response.status_code == 400
    assert "start" in response.json()
