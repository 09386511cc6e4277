import datetime

import pytest

from rota.models import Rotation, Shift
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import (
    RotationFactory,
    SprintCalendarFactory,
    SupportPolicyFactory,
    TeamRotationFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/rotations/"


def _body(**changes):
    body = {
        "name": "Payments on-call",
        "kind": "person",
        "participants": [],
        "shift_length": {"unit": "weeks", "count": 1},
        "handoff_time": "09:00",
        "timezone": "Europe/London",
        "start_date": "2030-01-07",
        "role": "primary",
    }
    body.update(changes)
    return body


def test_rotation_fields_follow_the_interface(user_client):
    calendar = SprintCalendarFactory()
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    rotation = TeamRotationFactory(
        name="Support", sprint_calendar=calendar, participants=[beta, alpha]
    )

    body = user_client.get(f"{URL}{rotation.pk}/").json()

    assert body["id"] == rotation.pk
    assert body["kind"] == "team"
    assert body["participants"] == ["beta", "alpha"]
    assert body["shift_length"] == {"unit": "sprints", "count": 2}
    assert body["handoff_time"] == "09:00"
    assert body["timezone"] == "Europe/London"
    assert body["start_date"] == "2024-01-01"
    assert body["sprint_calendar"] == calendar.pk
    assert body["team"] is None
    assert body["role"] == "primary"
    for name in ("restriction", "follows_team_rotation", "fairness", "horizon_weeks"):
        assert name in body


def test_person_rotation_lists_usernames(user_client):
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    rotation = RotationFactory(team=TeamFactory(slug="pay"), participants=[bo, ana])
    body = user_client.get(f"{URL}{rotation.pk}/").json()
    assert body["participants"] == ["bo", "ana"]
    assert body["team"] == "pay"


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    for _ in range(rows):
        RotationFactory(participants=[UserFactory(), UserFactory()])
    with django_assert_num_queries(3):  # count, page with team, participants with people
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_list_filters_by_team_kind_and_participant(user_client):
    ana = UserFactory(username="ana")
    mine = RotationFactory(team=TeamFactory(slug="pay"), participants=[ana])
    RotationFactory()
    team_rotation = TeamRotationFactory(participants=[TeamFactory(slug="ops")])

    def ids(query):
        return [row["id"] for row in user_client.get(URL, query).json()["results"]]

    assert ids({"team": "pay"}) == [mine.pk]
    assert ids({"kind": "team"}) == [team_rotation.pk]
    assert ids({"participant": "ana"}) == [mine.pk]
    assert ids({"participant": "ops"}) == [team_rotation.pk]


def test_manager_creates_a_rotation_for_their_team(make_client, manager_of):
    team = TeamFactory(slug="pay")
    UserFactory(username="ana")
    UserFactory(username="bo")
    client = make_client(manager_of(team))

    response = client.post(URL, _body(team="pay", participants=["ana", "bo"]))

    assert response.status_code == 201, response.content
    rotation = Rotation.objects.get(pk=response.json()["id"])
    assert rotation.team == team
    assert [p.user.username for p in rotation.participants.order_by("position")] == ["ana", "bo"]
    assert response.json()["participants"] == ["ana", "bo"]


def test_manager_cannot_create_a_rotation_for_another_team(make_client, manager_of):
    TeamFactory(slug="theirs")
    client = make_client(manager_of(TeamFactory()))
    response = client.post(URL, _body(team="theirs"))
    assert response.status_code == 403
    assert not Rotation.objects.exists()


def test_engineer_cannot_create_a_rotation(make_client):
    membership = MembershipFactory(role="engineer")
    response = make_client(membership.user).post(URL, _body(team=membership.team.slug))
    assert response.status_code == 403


def test_staff_creates_a_team_rotation_in_sprints(staff_client):
    calendar = SprintCalendarFactory()
    TeamFactory(slug="a")
    TeamFactory(slug="b")
    response = staff_client.post(
        URL,
        _body(
            kind="team",
            participants=["a", "b"],
            shift_length={"unit": "sprints", "count": 2},
            sprint_calendar=calendar.pk,
        ),
    )
    assert response.status_code == 201, response.content
    assert response.json()["participants"] == ["a", "b"]


def test_manager_of_a_participating_team_edits_a_team_rotation(make_client, manager_of):
    mine, other = TeamFactory(), TeamFactory()
    rotation = TeamRotationFactory(participants=[mine, other])
    outsider = make_client(manager_of(TeamFactory()))
    insider = make_client(manager_of(mine))

    refused = outsider.patch(f"{URL}{rotation.pk}/", {"name": "Nope"})
    allowed = insider.patch(f"{URL}{rotation.pk}/", {"name": "Support shift"})

    assert refused.status_code == 403
    assert allowed.status_code == 200
    rotation.refresh_from_db()
    assert rotation.name == "Support shift"


def test_manager_cannot_give_a_rotation_away(make_client, manager_of):
    mine = TeamFactory()
    TeamFactory(slug="elsewhere")
    rotation = RotationFactory(team=mine)
    response = make_client(manager_of(mine)).patch(f"{URL}{rotation.pk}/", {"team": "elsewhere"})
    assert response.status_code == 403
    rotation.refresh_from_db()
    assert rotation.team == mine


def test_participants_replace_the_turn_order(staff_client):
    ana, bo, cy = (UserFactory(username=n) for n in ("ana", "bo", "cy"))
    rotation = RotationFactory(participants=[ana, bo])
    response = staff_client.patch(f"{URL}{rotation.pk}/", {"participants": ["cy", "ana"]})
    assert response.status_code == 200, response.content
    assert response.json()["participants"] == ["cy", "ana"]
    assert [p.user for p in rotation.participants.order_by("position")] == [cy, ana]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"participants": ["ghost"]}, "participants"),
        ({"participants": "ana"}, "participants"),
        ({"participants": ["ana", "ana"]}, "participants"),
        ({"shift_length": {"unit": "sprints", "count": 2}}, "sprint_calendar"),
        ({"shift_length": {"unit": "fortnights", "count": 1}}, "shift_length"),
        ({"shift_length": {"unit": "weeks", "count": 0}}, "shift_length"),
        ({"handoff_time": "25:00"}, "handoff_time"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"team": "no-such-team"}, "team"),
        ({"kind": "robots"}, "kind"),
        ({"sprint_calendar": 999999}, "sprint_calendar"),
        ({"restriction": "business_hours", "business_hours_end": "08:00"}, "business_hours_end"),
    ],
)
def test_bad_input_is_refused_naming_the_field(staff_client, changes, field):
    UserFactory(username="ana")
    response = staff_client.post(URL, _body(**changes))
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Rotation.objects.exists()


def test_a_team_rotation_refuses_unknown_team_slugs(staff_client):
    calendar = SprintCalendarFactory()
    UserFactory(username="ana")  # a username is not a team
    response = staff_client.post(
        URL,
        _body(
            kind="team",
            participants=["ana"],
            shift_length={"unit": "sprints", "count": 1},
            sprint_calendar=calendar.pk,
        ),
    )
    assert response.status_code == 400
    assert "ana" in str(response.json()["participants"])


def test_generate_creates_shifts_until_the_date(make_client, manager_of):
    team = TeamFactory()
    ana, bo = UserFactory(), UserFactory()
    rotation = RotationFactory(
        team=team, start_date=datetime.date(2030, 1, 7), participants=[ana, bo]
    )
    client = make_client(manager_of(team))

    response = client.post(f"{URL}{rotation.pk}/generate/", {"until": "2030-02-03"})

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 4
    shifts = list(Shift.objects.filter(rotation=rotation).order_by("start"))
    assert [s.user for s in shifts] == [ana, bo, ana, bo]
    again = client.post(f"{URL}{rotation.pk}/generate/", {"until": "2030-02-03"})
    assert again.json()["created"] == 0


def test_generate_keeps_hand_edited_shifts(staff_client):
    ana, bo = UserFactory(), UserFactory()
    rotation = RotationFactory(start_date=datetime.date(2030, 1, 7), participants=[ana, bo])
    staff_client.post(f"{URL}{rotation.pk}/generate/", {"until": "2030-01-20"})
    first = Shift.objects.filter(rotation=rotation).order_by("start").first()
    staff_client.patch(f"/api/v1/shifts/{first.pk}/", {"user": bo.username})

    staff_client.post(f"{URL}{rotation.pk}/generate/", {"until": "2030-02-03"})

    first.refresh_from_db()
    assert first.user == bo and first.edited


def test_generate_is_refused_to_engineers_and_other_managers(make_client, manager_of):
    team = TeamFactory()
    rotation = RotationFactory(team=team, participants=[UserFactory()])
    engineer = MembershipFactory(team=team, role="engineer").user
    for person in (engineer, manager_of(TeamFactory())):
        response = make_client(person).post(
            f"{URL}{rotation.pk}/generate/", {"until": "2030-01-01"}
        )
        assert response.status_code == 403
    assert not Shift.objects.exists()


@pytest.mark.parametrize(("body", "field"), [({}, "until"), ({"until": "2999-01-01"}, "until")])
def test_generate_bad_input_names_the_field(staff_client, body, field):
    rotation = RotationFactory()
    response = staff_client.post(f"{URL}{rotation.pk}/generate/", body)
    assert response.status_code == 400
    assert field in response.json()


def test_deleting_a_team_rotation_that_others_follow_is_refused_naming_them(staff_client):
    rotation = TeamRotationFactory()
    RotationFactory(name="Storefront on call", team=None, follows_team_rotation=rotation)
    response = staff_client.delete(f"{URL}{rotation.pk}/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Storefront on call follows this team rotation; change or delete it first."
        ]
    }
    assert Rotation.objects.filter(pk=rotation.pk).exists()


def test_deleting_a_rotation_a_policy_uses_is_refused(staff_client):
    rotation = TeamRotationFactory()
    SupportPolicyFactory(name="Storefront support", model="rotating", team_rotation=rotation)
    response = staff_client.delete(f"{URL}{rotation.pk}/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "The support policy Storefront support uses this rotation; change it first."
        ]
    }
    assert Rotation.objects.filter(pk=rotation.pk).exists()


def test_changing_the_kind_needs_a_new_turn_order(staff_client):
    rotation = RotationFactory(participants=[UserFactory()])
    TeamFactory(slug="ops")
    refused = staff_client.patch(f"{URL}{rotation.pk}/", {"kind": "team"})
    assert refused.status_code == 400
    assert "participants" in refused.json()
    allowed = staff_client.patch(
        f"{URL}{rotation.pk}/", {"kind": "team", "participants": ["ops"], "team": None}
    )
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["participants"] == ["ops"]
