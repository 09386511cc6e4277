import datetime

import pytest

from rota.models import SprintCalendar
from tests.ownership.factories import TeamFactory, UserFactory

from .factories import RotationFactory, SprintCalendarFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sprint-calendars/"


def test_calendar_fields_follow_the_interface(user_client):
    calendar = SprintCalendarFactory(
        name="Platform", start_date=datetime.date(2025, 1, 6), length_days=14, timezone="UTC"
    )
    body = user_client.get(f"{URL}{calendar.pk}/").json()
    assert body["id"] == calendar.pk
    assert body["name"] == "Platform"
    assert body["start_date"] == "2025-01-06"
    assert body["length_days"] == 14
    assert body["timezone"] == "UTC"
    assert set(body["current_sprint"]) == {"number", "start_date", "end_date"}


def test_sprints_action_gives_each_sprints_dates(user_client):
    calendar = SprintCalendarFactory(start_date=datetime.date(2025, 1, 6), length_days=14)
    response = user_client.get(
        f"{URL}{calendar.pk}/sprints/", {"from": "2025-01-06", "to": "2025-02-16"}
    )
    assert response.status_code == 200
    assert response.json() == [
        {"number": 0, "start_date": "2025-01-06", "end_date": "2025-01-19"},
        {"number": 1, "start_date": "2025-01-20", "end_date": "2025-02-02"},
        {"number": 2, "start_date": "2025-02-03", "end_date": "2025-02-16"},
    ]


def test_sprints_before_the_reference_sprint_have_negative_numbers(user_client):
    calendar = SprintCalendarFactory(start_date=datetime.date(2025, 1, 6), length_days=7)
    body = user_client.get(
        f"{URL}{calendar.pk}/sprints/", {"from": "2024-12-30", "to": "2024-12-30"}
    ).json()
    assert body == [{"number": -1, "start_date": "2024-12-30", "end_date": "2025-01-05"}]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"from": "not-a-date"}, "from"),
        ({"from": "2025-01-01", "to": "2100-01-01"}, "to"),
    ],
)
def test_sprints_bad_query_names_the_parameter(user_client, query, field):
    calendar = SprintCalendarFactory()
    response = user_client.get(f"{URL}{calendar.pk}/sprints/", query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    SprintCalendarFactory.create_batch(rows)
    with django_assert_num_queries(2):  # count, page
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_staff_creates_and_edits_a_calendar(staff_client):
    response = staff_client.post(
        URL,
        {"name": "Sprints", "start_date": "2025-01-06", "length_days": 14, "timezone": "UTC"},
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = staff_client.patch(f"{URL}{pk}/", {"length_days": 21})
    assert response.status_code == 200
    assert SprintCalendar.objects.get(pk=pk).length_days == 21


def test_managers_and_engineers_cannot_change_calendars(make_client, manager_of):
    calendar = SprintCalendarFactory()
    for person in (manager_of(TeamFactory()), UserFactory()):
        client = make_client(person)
        created = client.post(URL, {"name": "Mine", "start_date": "2025-01-06", "length_days": 14})
        changed = client.patch(f"{URL}{calendar.pk}/", {"length_days": 7})
        assert created.status_code == 403
        assert changed.status_code == 403
    calendar.refresh_from_db()
    assert calendar.length_days == 14


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "start_date": "2025-01-06", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "A", "start_date": "2025-01-06", "length_days": 0}, "length_days"),
        ({"name": "A", "start_date": "06/01/2025"}, "start_date"),
        ({"start_date": "2025-01-06"}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(staff_client, body, field):
    response = staff_client.post(URL, body)
    assert response.status_code == 400
    assert field in response.json()


def test_deleting_a_calendar_in_use_is_a_conflict(staff_client):
    calendar = SprintCalendarFactory()
    RotationFactory(name="Support rotation", shift_length_unit="sprints", sprint_calendar=calendar)
    response = staff_client.delete(f"{URL}{calendar.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Still in use by: rotation Support rotation; change or delete those first."
    }
    assert SprintCalendar.objects.filter(pk=calendar.pk).exists()
