import datetime

import pytest

from rota import services
from rota.exceptions import CalendarImportError
from rota.models import Override, Shift, Unavailability
from rota.selectors import leave_conflicts
from tests.ownership.factories import TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
TODAY = datetime.date(2024, 1, 1)

LEAVE_ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Leave//EN
BEGIN:VEVENT
UID:ski-trip@example.com
DTSTAMP:20231201T120000Z
DTSTART;VALUE=DATE:20240108
DTEND;VALUE=DATE:20240113
SUMMARY:Skiing
END:VEVENT
BEGIN:VEVENT
UID:dentist@example.com
DTSTAMP:20231201T120000Z
DTSTART:20240215T140000Z
DTEND:20240215T160000Z
SUMMARY:Dentist
END:VEVENT
BEGIN:VEVENT
UID:free-time@example.com
DTSTAMP:20231201T120000Z
DTSTART;VALUE=DATE:20240301
DTEND;VALUE=DATE:20240302
TRANSP:TRANSPARENT
SUMMARY:Shown as free
END:VEVENT
END:VCALENDAR
"""


def entries(**owner):
    return list(
        Unavailability.objects.filter(**owner)
        .order_by("start_date")
        .values_list("start_date", "end_date", "reason", "source")
    )


def test_importing_an_ics_file_records_each_all_day_event_as_whole_days():
    alice = UserFactory()

    result = services.unavailability_import_ics(data=LEAVE_ICS, user=alice, today=TODAY)

    # Skiing (busy) and the day shown as free are days away; the 2-hour dentist appointment
    # is not a day of leave, and the answer says so, pointing at its BEGIN:VEVENT (line 11).
    assert result.created == 2
    assert entries(user=alice) == [
        (datetime.date(2024, 1, 8), datetime.date(2024, 1, 12), "Skiing", "ics"),  # DTEND exclusive
        (datetime.date(2024, 3, 1), datetime.date(2024, 3, 1), "Shown as free", "ics"),
    ]
    assert [(s.line, s.uid, s.summary) for s in result.skipped] == [
        (11, "dentist@example.com", "Dentist")
    ]
    assert "timed event of 2 h" in result.skipped[0].reason


def test_importing_the_same_calendar_again_updates_instead_of_duplicating():
    alice = UserFactory()
    services.unavailability_import_ics(data=LEAVE_ICS, user=alice, today=TODAY, calendar="Me")
    moved = LEAVE_ICS.replace(b"DTEND;VALUE=DATE:20240113", b"DTEND;VALUE=DATE:20240115")
    moved = moved.replace(
        b"BEGIN:VEVENT\nUID:free-time@example.com", b"BEGIN:VEVENT\nUID:free-moved@example.com"
    )

    again = services.unavailability_import_ics(
        data=LEAVE_ICS, user=alice, today=TODAY, calendar="Me"
    )
    changed = services.unavailability_import_ics(
        data=moved, user=alice, today=TODAY, prune=True, calendar="Me"
    )

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (changed.created, changed.updated, changed.deleted) == (1, 1, 1)
    assert entries(user=alice)[0][:2] == (datetime.date(2024, 1, 8), datetime.date(2024, 1, 14))
    assert len(entries(user=alice)) == 2


def test_recurring_public_holidays_are_expanded_for_a_team():
    team = TeamFactory()
    data = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Holidays//EN
BEGIN:VEVENT
UID:new-year@example.com
DTSTART;VALUE=DATE:20240101
DTEND;VALUE=DATE:20240102
RRULE:FREQ=YEARLY;COUNT=3
SUMMARY:New Year's Day
END:VEVENT
END:VCALENDAR
"""

    result = services.unavailability_import_ics(
        data=data, team=team, kind=Unavailability.Kind.PUBLIC_HOLIDAY, today=TODAY
    )

    assert result.created == 3
    assert [row[0] for row in entries(team=team)] == [
        datetime.date(2024, 1, 1),
        datetime.date(2025, 1, 1),
        datetime.date(2026, 1, 1),
    ]
    assert set(Unavailability.objects.values_list("kind", flat=True)) == {"public_holiday"}


def test_a_file_that_is_not_a_calendar_is_refused():
    with pytest.raises(CalendarImportError) as excinfo:
        services.unavailability_import_ics(data=b"not a calendar", user=UserFactory())

    assert set(excinfo.value.message_dict) == {"data"}


def test_only_web_addresses_are_fetched():
    with pytest.raises(CalendarImportError) as excinfo:
        services.unavailability_import_ics(url="file:///etc/passwd", user=UserFactory())

    assert set(excinfo.value.message_dict) == {"url"}


@pytest.fixture
def calendar_server():
    """A local HTTP server: /big answers 6 MB, /leave.ics a calendar, /hop redirects."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            if self.path == "/hop":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
                return
            body = b"x" * (6 * 1024 * 1024) if self.path == "/big" else LEAVE_ICS
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_calendar_url_larger_than_the_limit_is_refused(calendar_server, settings):
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(CalendarImportError) as excinfo:
        services.unavailability_import_ics(url=f"{calendar_server}/big", user=UserFactory())
    assert "larger" in excinfo.value.message_dict["url"][0]


def test_a_calendar_is_fetched_from_an_allowed_host(calendar_server, settings):
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    user = UserFactory()
    services.unavailability_import_ics(url=f"{calendar_server}/leave.ics", user=user, today=TODAY)
    assert Unavailability.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:9/leave.ics",
        "http://10.1.2.3/leave.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/leave.ics",
    ],
)
def test_private_addresses_are_never_fetched(url):
    with pytest.raises(CalendarImportError) as excinfo:
        services.unavailability_import_ics(url=url, user=UserFactory())
    assert "not a public address" in excinfo.value.message_dict["url"][0]


def test_a_redirect_to_a_private_address_is_refused(calendar_server, settings):
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(CalendarImportError) as excinfo:
        services.unavailability_import_ics(url=f"{calendar_server}/hop", user=UserFactory())
    assert "169.254.169.254" in excinfo.value.message_dict["url"][0]


def test_imported_leave_is_covered_by_generation():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    rotation = RotationFactory(participants=[alice, bob], start_date=datetime.date(2024, 1, 1))
    services.unavailability_import_ics(data=LEAVE_ICS, user=bob, today=TODAY)

    services.rotation_generate(
        rotation=rotation,
        until=datetime.date(2024, 1, 21),
        now=datetime.datetime(2023, 12, 1, tzinfo=UTC),
    )

    # Skiing 8..12 January is part of bob's week (8 .. 15 January 09:00): he keeps it and
    # alice covers from the handoff to the end of Friday.
    assert list(
        Shift.objects.filter(rotation=rotation)
        .order_by("start")
        .values_list("user__username", flat=True)
    ) == ["alice", "bob", "alice"]
    assert [(o.user, o.start, o.end) for o in Override.objects.all()] == [
        (
            alice,
            datetime.datetime(2024, 1, 8, 9, tzinfo=UTC),
            datetime.datetime(2024, 1, 13, tzinfo=UTC),
        )
    ]


def test_leave_entered_after_the_rota_was_made_is_reported_as_a_conflict():
    bob = UserFactory()
    shift = ShiftFactory(user=bob, start=datetime.datetime(2024, 1, 8, 9, tzinfo=UTC))
    ShiftFactory(
        rotation=shift.rotation, user=UserFactory(), start=shift.end
    )  # someone else, no leave
    services.unavailability_create(
        user=bob, start_date=datetime.date(2024, 1, 10), end_date=datetime.date(2024, 1, 11)
    )

    conflicts = leave_conflicts(
        start=datetime.datetime(2024, 1, 1, tzinfo=UTC),
        end=datetime.datetime(2024, 2, 1, tzinfo=UTC),
    )

    assert [(c.shift_id, c.user, c.start, c.end) for c in conflicts] == [
        (
            shift.pk,
            bob,
            datetime.datetime(2024, 1, 10, tzinfo=UTC),
            datetime.datetime(2024, 1, 12, tzinfo=UTC),
        )
    ]
