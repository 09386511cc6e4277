"""A change to a team's public holidays re-cuts its restricted rotations, and the feeds show it.

The organisation: team Payments (Europe/Berlin) whose person rotation "Payments on call" is
on duty in business hours only (Monday to Friday 09:00-17:00 Berlin). Alice holds the week
from Monday 21 December 2026 09:00 to Monday 28 December 09:00 Berlin (CET, UTC+1), so her
shift has five parts, one a day, Monday 21 to Friday 25 December 08:00-16:00 UTC. Hand-checked:
Christmas Day, Friday 25 December 2026, is a public holiday in Germany (DE); 24 December is not,
and 26 December is a Saturday. The feeds are served over HTTP and parsed back with icalendar.
"""

import datetime
import io

import icalendar
import pytest
from django.core.cache import cache

from rota import services
from rota.models import Rotation, Unavailability
from rota.services.feeds import feed_token_get_or_create, feed_token_string
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .admin_helpers import page_data
from .factories import RotationFactory, ShiftFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
D = datetime.date


def berlin_day(day):
    """(start, end) in UTC of Berlin business hours on ``day`` of December 2026 (CET)."""
    start = datetime.datetime(2026, 12, day, 8, tzinfo=UTC)
    return start, start + datetime.timedelta(hours=8)


MON_TO_FRI = [berlin_day(day) for day in (21, 22, 23, 24, 25)]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the shared (Django) cache: rendered feeds and fingerprints
    yield
    cache.clear()


@pytest.fixture
def org():
    team = TeamFactory(name="Payments", slug="payments", timezone="Europe/Berlin")
    alice = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    rotation = RotationFactory(
        name="Payments on call",
        team=team,
        timezone="Europe/Berlin",
        restriction=Rotation.Restriction.BUSINESS_HOURS,
        participants=[],
    )
    shift = ShiftFactory(
        rotation=rotation,
        user=alice,
        start=datetime.datetime(2026, 12, 21, 8, tzinfo=UTC),
        end=datetime.datetime(2026, 12, 28, 8, tzinfo=UTC),
    )
    tokens = [
        feed_token_get_or_create(user=alice),
        feed_token_get_or_create(user=alice, kind="team", team=team),
        feed_token_get_or_create(user=alice, kind="rotation", rotation=rotation),
    ]
    return {"team": team, "alice": alice, "rotation": rotation, "shift": shift, "tokens": tokens}


def feed(client, token):
    """Return (ETag, [(start, end, SEQUENCE, UID)]) of the token's feed, sorted by start."""
    response = client.get(f"/calendar/{feed_token_string(token)}.ics")
    assert response.status_code == 200, response.content[:300]
    calendar = icalendar.Calendar.from_ical(response.content)
    events = sorted(
        (
            e.decoded("DTSTART").astimezone(UTC),
            e.decoded("DTEND").astimezone(UTC),
            int(e["SEQUENCE"]),
            str(e["UID"]),
        )
        for e in calendar.walk("VEVENT")
    )
    return response["ETag"], events


def feeds(client, org):
    return [feed(client, token) for token in org["tokens"]]


def assert_changed(before, after, days):
    """Each feed shows exactly ``days``, under a new ETag, every event's SEQUENCE higher."""
    for (etag_before, events_before), (etag_after, events_after) in zip(before, after, strict=True):
        assert [(s, e) for s, e, _, _ in events_after] == days
        assert etag_after != etag_before
        highest_before = max(seq for *_, seq, _ in events_before)
        assert all(seq > highest_before for *_, seq, _ in events_after)


def test_setting_the_teams_public_holidays_removes_the_holiday_from_every_feed(
    client, staff_client, org
):
    before = feeds(client, org)
    for _, events in before:
        assert [(s, e) for s, e, _, _ in events] == MON_TO_FRI

    response = staff_client.patch("/api/v1/teams/payments/", {"public_holidays": "DE"})
    assert response.status_code == 200, response.content

    # Christmas Day (Friday 25) is off: four parts, Monday to Thursday, each re-sent.
    assert_changed(before, feeds(client, org), MON_TO_FRI[:4])


def test_a_typed_team_holiday_and_its_deletion_change_the_feeds(client, staff_client, org):
    before = feeds(client, org)
    response = staff_client.post(
        "/api/v1/unavailability/",
        {
            "team": "payments",
            "start_date": "2026-12-23",
            "end_date": "2026-12-23",
            "kind": "public_holiday",
            "reason": "Works outing",
        },
    )
    assert response.status_code == 201, response.content
    # Wednesday 23 is off: Monday, Tuesday, Thursday, Friday.
    with_holiday = feeds(client, org)
    assert_changed(before, with_holiday, [MON_TO_FRI[i] for i in (0, 1, 3, 4)])

    response = staff_client.delete(f"/api/v1/unavailability/{response.json()['id']}/")
    assert response.status_code == 204, response.content
    # Wednesday is back, and the events are re-sent once more.
    assert_changed(with_holiday, feeds(client, org), MON_TO_FRI)


def test_an_imported_team_holiday_and_a_pruning_reimport_change_the_feeds(
    client, staff_client, org
):
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//holidays//EN\r\n"
        "X-WR-CALNAME:Office days\r\n"
        "BEGIN:VEVENT\r\nUID:xmas-eve@test\r\nDTSTART;VALUE=DATE:20261224\r\n"
        "DTEND;VALUE=DATE:20261225\r\nSUMMARY:Christmas Eve\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    before = feeds(client, org)
    upload = io.BytesIO(ics.encode())
    upload.name = "holidays.ics"
    response = staff_client.post(
        "/api/v1/unavailability/import/",
        {"file": upload, "team": "payments", "kind": "public_holiday"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    # Thursday 24 is off.
    imported = feeds(client, org)
    assert_changed(before, imported, [MON_TO_FRI[i] for i in (0, 1, 2, 4)])

    empty = io.BytesIO(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//holidays//EN\r\n"
        b"X-WR-CALNAME:Office days\r\nEND:VCALENDAR\r\n"
    )
    empty.name = "holidays.ics"
    response = staff_client.post(
        "/api/v1/unavailability/import/",
        {"file": empty, "team": "payments", "kind": "public_holiday", "prune": "true"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["deleted"] == 1
    assert_changed(imported, feeds(client, org), MON_TO_FRI)


def test_the_nightly_sync_that_drops_a_holiday_changes_the_feeds(client, org):
    team = org["team"]
    team.public_holidays = "DE"
    team.save()
    services.team_public_holidays_sync(team=team, today=D(2026, 11, 30))
    with_christmas = feeds(client, org)
    assert [(s, e) for s, e, _, _ in with_christmas[0][1]] == MON_TO_FRI[:4]

    # The package (or the code) no longer has that day: the sync removes it.
    Team = type(team)
    Team.objects.filter(pk=team.pk).update(public_holidays="")
    team.refresh_from_db()
    result = services.team_public_holidays_sync(team=team, today=D(2026, 11, 30))
    assert result.deleted > 0
    assert not Unavailability.objects.filter(team=team).exists()
    assert_changed(with_christmas, feeds(client, org), MON_TO_FRI)


def test_a_holiday_of_another_team_leaves_the_feeds_alone(client, staff_client, org):
    TeamFactory(slug="ledger", timezone="Europe/Berlin")
    before = feeds(client, org)
    response = staff_client.post(
        "/api/v1/unavailability/",
        {
            "team": "ledger",
            "start_date": "2026-12-23",
            "end_date": "2026-12-23",
            "kind": "public_holiday",
        },
    )
    assert response.status_code == 201, response.content
    assert feeds(client, org) == before


def test_a_team_holiday_recuts_its_support_shift_on_a_restricted_team_rotation(
    client, staff_client, org
):
    # A business-hours team rotation without a team of its own: Payments is on support the
    # same week, so Payments' holidays count for it (and another team's would not).
    support = TeamRotationFactory(
        name="Support",
        timezone="Europe/Berlin",
        restriction=Rotation.Restriction.BUSINESS_HOURS,
        participants=[],
    )
    ShiftFactory(
        rotation=support,
        user=None,
        team=org["team"],
        start=org["shift"].start,
        end=org["shift"].end,
    )
    token = feed_token_get_or_create(user=org["alice"], kind="rotation", rotation=support)
    before = [feed(client, token)]
    assert [(s, e) for s, e, _, _ in before[0][1]] == MON_TO_FRI
    response = staff_client.patch("/api/v1/teams/payments/", {"public_holidays": "DE"})
    assert response.status_code == 200, response.content
    assert_changed(before, [feed(client, token)], MON_TO_FRI[:4])


def test_moving_a_team_holiday_in_the_admin_changes_the_feeds(client, org):
    # Moved from Wednesday 23 to Thursday 24: Wednesday is back, Thursday is off.
    holiday = services.unavailability_create(
        team=org["team"], start_date=D(2026, 12, 23), end_date=D(2026, 12, 23),
        kind="public_holiday", reason="Works outing",
    )  # fmt: skip
    before = feeds(client, org)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/rota/unavailability/{holiday.pk}/change/"
    data = page_data(client.get(url), start_date="2026-12-24", end_date="2026-12-24")
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    client.logout()

    assert_changed(before, feeds(client, org), [MON_TO_FRI[i] for i in (0, 1, 2, 4)])


def test_leave_that_makes_a_cover_changes_the_feeds(client, make_client, org):
    # Around the clock this time (no restriction), alice then bob in turn order: alice's
    # leave on Wednesday 23 December (a Berlin day, CET: 22 Dec 23:00 UTC to 23 Dec 23:00
    # UTC) is part of her turn, so bob covers that day and her week becomes two parts,
    # Mon 21 08:00 UTC to Tue 22 23:00 UTC and Wed 23 23:00 UTC to Mon 28 08:00 UTC.
    rotation, alice = org["rotation"], org["alice"]
    bob = MembershipFactory(team=org["team"], user=UserFactory(username="bob")).user
    rotation.restriction = Rotation.Restriction.NONE
    rotation.save()
    rotation.participants.create(user=alice, position=0)
    rotation.participants.create(user=bob, position=1)
    token = org["tokens"][0]  # alice's own feed
    before = [feed(client, token)]

    response = make_client(alice).post(
        "/api/v1/unavailability/",
        {"start_date": "2026-12-23", "end_date": "2026-12-23", "reason": "Dentist"},
    )
    assert response.status_code == 201, response.content

    midnight = datetime.datetime(2026, 12, 22, 23, tzinfo=UTC)
    shift = org["shift"]
    assert_changed(
        before,
        [feed(client, token)],
        [(shift.start, midnight), (midnight + datetime.timedelta(days=1), shift.end)],
    )
