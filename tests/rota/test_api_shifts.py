import datetime

import pytest

from rota.models import Shift, ShiftChange
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, TeamRotationFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/shifts/"
UTC = datetime.UTC
MONDAY = datetime.datetime(2030, 1, 7, 9, tzinfo=UTC)
WEEK = datetime.timedelta(days=7)


def test_shift_fields_follow_the_interface(user_client):
    ana = UserFactory(username="ana")
    shift = ShiftFactory(user=ana, start=MONDAY)

    body = user_client.get(f"{URL}{shift.pk}/").json()

    assert body["id"] == shift.pk
    assert body["rotation"] == shift.rotation_id
    assert body["start"] == "2030-01-07T09:00:00Z"
    assert body["end"] == "2030-01-14T09:00:00Z"
    assert body["team"] is None
    assert body["user"] == "ana"
    assert body["edited"] is False


def test_team_shift_shows_the_team_slug(user_client):
    team = TeamFactory(slug="ops")
    shift = ShiftFactory(rotation=TeamRotationFactory(), team=team, user=None)
    body = user_client.get(f"{URL}{shift.pk}/").json()
    assert body["team"] == "ops"
    assert body["user"] is None


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    rotation = RotationFactory()
    for n in range(rows):
        shift = ShiftFactory(rotation=rotation, start=MONDAY + n * WEEK)
        UnavailabilityFactory(
            user=shift.user, start_date=shift.start.date(), end_date=shift.start.date()
        )
    # the rota and catalog versions and the count (the count is then remembered while they
    # hold), page with rotation and assignee, the holders' leave, the covers over it, the
    # teams the caller manages (whose leave reasons they read)
    with django_assert_num_queries(6):
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_list_filters(user_client):
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    rotation = RotationFactory()
    first = ShiftFactory(rotation=rotation, user=ana, start=MONDAY)
    second = ShiftFactory(rotation=rotation, user=bo, start=MONDAY + WEEK)
    other = ShiftFactory(user=ana, start=MONDAY)
    team_shift = ShiftFactory(
        rotation=TeamRotationFactory(), team=TeamFactory(slug="ops"), user=None, start=MONDAY
    )

    def ids(query):
        return sorted(row["id"] for row in user_client.get(URL, query).json()["results"])

    assert ids({"rotation": rotation.pk}) == sorted([first.pk, second.pk])
    assert ids({"user": "ana"}) == sorted([first.pk, other.pk])
    assert ids({"team": "ops"}) == [team_shift.pk]
    assert ids({"rotation": rotation.pk, "start_after": "2030-01-10T00:00:00Z"}) == [second.pk]
    assert ids({"rotation": rotation.pk, "end_before": "2030-01-14T09:00:00Z"}) == [first.pk]


def test_bad_filter_value_is_a_400_naming_it(user_client):
    response = user_client.get(URL, {"start_after": "yesterday"})
    assert response.status_code == 400
    assert "start_after" in response.json()


def test_manager_edits_a_shift_which_becomes_edited(make_client, manager_of):
    team = TeamFactory()
    ana, bo = UserFactory(), UserFactory(username="bo")
    shift = ShiftFactory(rotation=RotationFactory(team=team), user=ana, start=MONDAY)
    manager = manager_of(team)

    response = make_client(manager).patch(f"{URL}{shift.pk}/", {"user": "bo"})

    assert response.status_code == 200, response.content
    assert response.json()["edited"] is True
    shift.refresh_from_db()
    assert shift.user == bo
    assert shift.edited
    assert shift.sequence == 1
    change = ShiftChange.objects.get(shift=shift)
    assert change.changed_by == manager
    assert change.action == ShiftChange.Action.UPDATED


def test_engineers_and_other_managers_cannot_edit_shifts(make_client, manager_of):
    team = TeamFactory()
    engineer = MembershipFactory(team=team).user
    shift = ShiftFactory(rotation=RotationFactory(team=team), user=engineer, start=MONDAY)
    for person in (engineer, manager_of(TeamFactory())):
        client = make_client(person)
        assert client.patch(f"{URL}{shift.pk}/", {"note": "mine"}).status_code == 403
        assert client.delete(f"{URL}{shift.pk}/").status_code == 403
        created = client.post(
            URL,
            {
                "rotation": shift.rotation_id,
                "start": "2030-02-01T09:00:00Z",
                "end": "2030-02-02T09:00:00Z",
                "user": person.username,
            },
        )
        assert created.status_code == 403
    assert Shift.objects.count() == 1


def test_manager_adds_a_shift_by_hand(make_client, manager_of):
    team = TeamFactory()
    rotation = RotationFactory(team=team)
    UserFactory(username="ana")
    response = make_client(manager_of(team)).post(
        URL,
        {
            "rotation": rotation.pk,
            "start": "2030-01-07T09:00:00+01:00",
            "end": "2030-01-08T09:00:00+01:00",
            "user": "ana",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["start"] == "2030-01-07T08:00:00Z"
    assert response.json()["edited"] is True


def test_manager_deletes_a_shift_and_the_audit_keeps_it(make_client, manager_of):
    team = TeamFactory()
    shift = ShiftFactory(rotation=RotationFactory(team=team), start=MONDAY)
    response = make_client(manager_of(team)).delete(f"{URL}{shift.pk}/")
    assert response.status_code == 204
    assert not Shift.objects.filter(pk=shift.pk).exists()
    assert ShiftChange.objects.get(shift_ref=shift.pk).action == ShiftChange.Action.DELETED


def test_overlapping_edit_is_a_400_naming_the_other_holder_and_window(staff_client):
    rotation = RotationFactory(name="Payments on call", timezone="Europe/Berlin")
    alice = UserFactory(username="alice.martin", first_name="Alice", last_name="Martin")
    ShiftFactory(rotation=rotation, start=MONDAY, user=alice)
    second = ShiftFactory(rotation=rotation, start=MONDAY + WEEK)

    response = staff_client.patch(f"{URL}{second.pk}/", {"start": "2030-01-10T09:00:00Z"})

    # Alice's shift runs 09:00 UTC Mon 7 Jan to Mon 14 Jan: 10:00 in Berlin (CET, UTC+1).
    assert response.status_code == 400
    assert response.json() == {
        "start": [
            "This shift overlaps Alice Martin's shift Mon 7 Jan 10:00–Mon 14 Jan 10:00 "
            "(Europe/Berlin) on Payments on call."
        ]
    }
    second.refresh_from_db()
    assert second.start == MONDAY + WEEK and not second.edited


def test_overlapping_new_shift_is_a_400_naming_the_team_on_shift(staff_client):
    rotation = TeamRotationFactory(name="Support rotation", timezone="Europe/London")
    ShiftFactory(rotation=rotation, start=MONDAY, user=None, team=TeamFactory(name="Billing"))
    response = staff_client.post(
        URL,
        {
            "rotation": rotation.pk,
            "start": "2030-01-08T00:00:00Z",
            "end": "2030-01-09T00:00:00Z",
            "team": TeamFactory().slug,
        },
    )
    # London keeps GMT in January, so the window reads as stored.
    assert response.status_code == 400
    assert response.json() == {
        "start": [
            "This shift overlaps Billing's shift Mon 7 Jan 09:00–Mon 14 Jan 09:00 "
            "(Europe/London) on Support rotation."
        ]
    }
    assert Shift.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": "2030-01-07T08:00:00Z"}, "end"),
        ({"start": "2030-01-07T09:00:00"}, "start"),
        ({"start": "someday"}, "start"),
        ({"user": "ghost"}, "user"),
        ({"team": "ops", "user": None}, "team"),
        ({"team": "ops"}, "user"),
    ],
)
def test_bad_edits_name_the_field(staff_client, changes, field):
    TeamFactory(slug="ops")
    shift = ShiftFactory(start=MONDAY)
    response = staff_client.patch(f"{URL}{shift.pk}/", changes)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_shift_cannot_move_to_another_rotation(staff_client):
    shift = ShiftFactory(start=MONDAY)
    other = RotationFactory()
    staff_client.patch(f"{URL}{shift.pk}/", {"rotation": other.pk})
    shift.refresh_from_db()
    assert shift.rotation_id != other.pk


def test_an_empty_patch_leaves_the_shift_unedited(staff_client):
    shift = ShiftFactory(start=MONDAY)
    response = staff_client.patch(f"{URL}{shift.pk}/", {})
    assert response.status_code == 200
    shift.refresh_from_db()
    assert not shift.edited and shift.sequence == 0
