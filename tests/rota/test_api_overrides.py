import datetime

import pytest

from rota.models import Override
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory, rota_admin

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


# --- Who may cover a rotation: those who could take a swap on it ----------------------------


def test_an_engineer_cannot_make_a_foreign_rotation_page_them(make_client):
    # eve is in no team of the rotation and not in its turn order: she could not take a swap
    # on it, so she may not cover it either, whatever the window.
    foreign = RotationFactory(team=TeamFactory(), participants=[UserFactory()])
    eve = MembershipFactory(team=TeamFactory()).user
    response = make_client(eve).post(URL, _window(rotation=foreign.pk))
    assert response.status_code == 403
    assert f"do not take turns in the rotation {foreign.name}" in response.json()["detail"]
    assert not Override.objects.exists()


def test_someone_in_the_turn_order_covers_without_being_in_the_team(make_client):
    # cara is not in the rotation's team but takes turns in it: she may cover.
    cara = UserFactory()
    rotation = RotationFactory(team=TeamFactory(), participants=[cara])
    response = make_client(cara).post(URL, _window(rotation=rotation.pk))
    assert response.status_code == 201, response.content
    assert Override.objects.get().user == cara


def test_an_engineer_cannot_stretch_an_override_on_a_rotation_they_left(make_client):
    eve = UserFactory()
    mine = OverrideFactory(user=eve, start=START, end=START + 8 * HOUR)  # a foreign rotation
    response = make_client(eve).patch(
        f"{URL}{mine.pk}/", {"end": "2030-03-08T17:00:00Z"}, format="json"
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.end == START + 8 * HOUR


def test_a_manager_of_another_team_cannot_put_an_override_on_a_rotation(make_client, manager_of):
    payments, search = TeamFactory(), TeamFactory()
    rotation = RotationFactory(team=search)
    member = MembershipFactory(team=search).user
    sam = manager_of(payments)
    for who in (sam, member):
        response = make_client(sam).post(URL, _window(rotation=rotation.pk, user=who.username))
        assert response.status_code == 403
    assert not Override.objects.exists()


def test_a_staff_manager_is_not_a_rota_admin_for_overrides(make_client, manager_of):
    # Being staff only opens the admin: maria manages Payments, not Search.
    rotation = RotationFactory(team=TeamFactory())
    maria = manager_of(TeamFactory())
    maria.is_staff = True
    maria.save()
    response = make_client(maria).post(URL, _window(rotation=rotation.pk))
    assert response.status_code == 403
    assert not Override.objects.exists()


def test_a_rota_admin_puts_anyone_on_any_rotation(make_client):
    rotation = RotationFactory(team=TeamFactory())
    outsider = UserFactory()
    response = make_client(rota_admin()).post(
        URL, _window(rotation=rotation.pk, user=outsider.username)
    )
    assert response.status_code == 201, response.content
    assert Override.objects.get().user == outsider
