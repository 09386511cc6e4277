import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rota.models import Unavailability
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import UnavailabilityFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/unavailability/"

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
BEGIN:VEVENT
UID:holiday-1@example.com
DTSTAMP:20300101T000000Z
DTSTART;VALUE=DATE:20300715
DTEND;VALUE=DATE:20300722
SUMMARY:Summer holiday
END:VEVENT
BEGIN:VEVENT
UID:dentist@example.com
DTSTAMP:20300101T000000Z
DTSTART;VALUE=DATE:20300801
DTEND;VALUE=DATE:20300802
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""


def test_fields_follow_the_interface(user_client):
    entry = UnavailabilityFactory(user=UserFactory(username="ana"), reason="Holiday")
    body = user_client.get(f"{URL}{entry.pk}/").json()
    assert body == {
        "id": entry.pk,
        "user": "ana",
        "team": None,
        "start_date": "2024-01-08",
        "end_date": "2024-01-12",
        "reason": None,  # ana's reason is hers (and her managers' and staff's) to read
        "kind": "leave",
        "source": "manual",
    }


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    UnavailabilityFactory.create_batch(rows - rows // 2)
    UnavailabilityFactory.create_batch(rows // 2, user=None, team=TeamFactory())
    # count, page with people and teams, the teams the caller manages (whose reasons they read)
    with django_assert_num_queries(3):
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


def test_list_filters_by_user_team_and_dates(user_client):
    mine = UnavailabilityFactory(user=UserFactory(username="ana"))
    team_entry = UnavailabilityFactory(user=None, team=TeamFactory(slug="ops"))
    later = UnavailabilityFactory(
        start_date=datetime.date(2030, 1, 1), end_date=datetime.date(2030, 1, 2)
    )

    def ids(query):
        return [row["id"] for row in user_client.get(URL, query).json()["results"]]

    assert ids({"user": "ana"}) == [mine.pk]
    assert ids({"team": "ops"}) == [team_entry.pk]
    assert ids({"after": "2029-12-31"}) == [later.pk]


def test_engineer_records_their_own_leave_by_default(make_client):
    engineer = UserFactory()
    response = make_client(engineer).post(
        URL, {"start_date": "2030-07-01", "end_date": "2030-07-05", "reason": "Holiday"}
    )
    assert response.status_code == 201, response.content
    entry = Unavailability.objects.get()
    assert (entry.user, entry.created_by) == (engineer, engineer)


def test_engineer_cannot_record_leave_of_others_or_of_a_team(make_client):
    membership = MembershipFactory(role="engineer")
    client = make_client(membership.user)
    other = client.post(
        URL,
        {"user": UserFactory().username, "start_date": "2030-07-01", "end_date": "2030-07-05"},
    )
    team = client.post(
        URL,
        {"team": membership.team.slug, "start_date": "2030-07-01", "end_date": "2030-07-05"},
    )
    assert other.status_code == 403
    assert team.status_code == 403
    assert not Unavailability.objects.exists()


def test_manager_records_leave_for_their_team_and_its_members(make_client, manager_of):
    team = TeamFactory()
    member = MembershipFactory(team=team).user
    client = make_client(manager_of(team))
    for owner in ({"team": team.slug, "kind": "public_holiday"}, {"user": member.username}):
        response = client.post(URL, {**owner, "start_date": "2030-12-25", "end_date": "2030-12-26"})
        assert response.status_code == 201, response.content
    outsider = client.post(
        URL, {"user": UserFactory().username, "start_date": "2030-12-25", "end_date": "2030-12-26"}
    )
    assert outsider.status_code == 403
    assert Unavailability.objects.count() == 2


def test_engineer_changes_and_deletes_only_their_own(make_client):
    engineer = UserFactory()
    mine = UnavailabilityFactory(user=engineer)
    theirs = UnavailabilityFactory()
    client = make_client(engineer)
    changed = client.patch(f"{URL}{mine.pk}/", {"reason": "Moved"})
    assert changed.status_code == 200
    assert changed.json()["reason"] == "Moved"
    assert client.patch(f"{URL}{theirs.pk}/", {"reason": "Mine"}).status_code == 403
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 403
    assert client.patch(f"{URL}{mine.pk}/", {"user": theirs.user.username}).status_code == 403
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.user, mine.reason, theirs.reason) == (engineer, "Moved", "Holiday")
    assert client.delete(f"{URL}{mine.pk}/").status_code == 204
    assert list(Unavailability.objects.values_list("pk", flat=True)) == [theirs.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "2030-07-05", "end_date": "2030-07-01"}, "end_date"),
        ({"start_date": "2030-07-01"}, "end_date"),
        ({"start_date": "July", "end_date": "2030-07-01"}, "start_date"),
        ({"start_date": "2030-07-01", "end_date": "2030-07-02", "kind": "sabbatical"}, "kind"),
        ({"start_date": "2030-07-01", "end_date": "2030-07-02", "team": "nope"}, "team"),
        ({"start_date": "2030-07-01", "end_date": "2030-07-02", "user": "ghost"}, "user"),
    ],
)
def test_bad_input_names_the_field(staff_client, body, field):
    response = staff_client.post(URL, body)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_person_and_team_at_once_is_refused(staff_client):
    response = staff_client.post(
        URL,
        {
            "user": UserFactory().username,
            "team": TeamFactory().slug,
            "start_date": "2030-07-01",
            "end_date": "2030-07-02",
        },
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_import_of_an_uploaded_ics_file_for_oneself(make_client):
    engineer = UserFactory()
    client = make_client(engineer)
    upload = SimpleUploadedFile("leave.ics", ICS, content_type="text/calendar")

    response = client.post(f"{URL}import/", {"file": upload}, format="multipart")

    assert response.status_code == 201, response.content
    assert response.json()["created"] == 2
    entries = Unavailability.objects.filter(user=engineer).order_by("start_date")
    assert [(e.start_date, e.end_date, e.source) for e in entries] == [
        (datetime.date(2030, 7, 15), datetime.date(2030, 7, 21), "ics"),
        (datetime.date(2030, 8, 1), datetime.date(2030, 8, 1), "ics"),
    ]
    again = client.post(
        f"{URL}import/",
        {"file": SimpleUploadedFile("leave.ics", ICS)},
        format="multipart",
    )
    assert again.status_code == 200
    assert again.json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "deleted": 0,
        "skipped": [],
    }


def test_import_from_a_url_for_a_managed_team(make_client, manager_of, monkeypatch):
    fetched = []

    def fake_fetch(url):
        fetched.append(url)
        return ICS

    monkeypatch.setattr("rota.services.unavailability_ics.fetch_calendar", fake_fetch)
    team = TeamFactory(slug="ops")
    response = make_client(manager_of(team)).post(
        f"{URL}import/",
        {
            "url": "https://calendar.example.com/holidays.ics",
            "team": "ops",
            "kind": "public_holiday",
        },
    )
    assert response.status_code == 201, response.content
    assert fetched == ["https://calendar.example.com/holidays.ics"]
    assert Unavailability.objects.filter(team=team, kind="public_holiday").count() == 2


def test_import_for_a_team_one_does_not_manage_is_refused(make_client):
    membership = MembershipFactory(role="engineer")
    response = make_client(membership.user).post(
        f"{URL}import/",
        {"file": SimpleUploadedFile("x.ics", ICS), "team": membership.team.slug},
        format="multipart",
    )
    assert response.status_code == 403
    assert not Unavailability.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "file"),
        ({"file": SimpleUploadedFile("x.ics", b"this is not a calendar")}, "file"),
        ({"url": "ftp://example.com/x.ics"}, "url"),
        ({"file": SimpleUploadedFile("x.ics", ICS), "kind": "sabbatical"}, "kind"),
    ],
)
def test_import_bad_input_names_the_field(user_client, body, field):
    response = user_client.post(f"{URL}import/", body, format="multipart")
    assert response.status_code == 400, response.content
    assert field in response.json()
