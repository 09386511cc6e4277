"""Importing leave and public holidays from iCalendar: what is taken, what is skipped and why."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from notifications.models import NotificationPreference
from rota import services
from rota.models import Unavailability
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 3, 1)

# A public-holiday calendar as calendar providers publish them: every day TRANSP:TRANSPARENT,
# some without UID. Line numbers matter: skipped events are reported by their BEGIN:VEVENT.
HOLIDAYS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Holidays DE//EN
BEGIN:VEVENT
UID:20260406_de@holidays.example.com
DTSTART;VALUE=DATE:20260406
DTEND;VALUE=DATE:20260407
TRANSP:TRANSPARENT
SUMMARY:Easter Monday
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260501
DTEND;VALUE=DATE:20260502
TRANSP:TRANSPARENT
SUMMARY:Labour Day
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261225
TRANSP:TRANSPARENT
SUMMARY:Christmas Day
END:VEVENT
BEGIN:VEVENT
UID:staff-party@example.com
DTSTART:20261218T160000Z
DTEND:20261218T180000Z
SUMMARY:Staff party
END:VEVENT
BEGIN:VEVENT
UID:undated@example.com
SUMMARY:Some day in spring
END:VEVENT
BEGIN:VEVENT
UID:called-off@example.com
DTSTART;VALUE=DATE:20261005
STATUS:CANCELLED
SUMMARY:Called off
END:VEVENT
BEGIN:VEVENT
UID:offsite@example.com
DTSTART:20260914T230000Z
DTEND:20260916T230000Z
TRANSP:TRANSPARENT
SUMMARY:Offsite
END:VEVENT
END:VCALENDAR
"""

# The events skipped above, by hand: the 2-hour party (timed, shorter than a day), the event
# without DTSTART and the cancelled one, each at the line of its BEGIN:VEVENT.
SKIPPED = [
    (22, "staff-party@example.com", "Staff party", "a timed event of 2 h"),
    (28, "undated@example.com", "Some day in spring", "no DTSTART"),
    (32, "called-off@example.com", "Called off", "cancelled"),
]


def rows(**owner):
    return list(
        Unavailability.objects.filter(**owner)
        .order_by("start_date")
        .values_list("start_date", "end_date", "reason")
    )


def import_holidays(team, data=HOLIDAYS, **options):
    return services.unavailability_import_ics(
        data=data, team=team, kind=Unavailability.Kind.PUBLIC_HOLIDAY, today=TODAY, **options
    )


def test_transparent_all_day_events_are_imported_with_or_without_uid():
    team = TeamFactory()

    result = import_holidays(team)

    # Easter Monday has a UID, Labour Day and Christmas Day none (Christmas has no DTEND
    # either: a date without an end is that one day). The offsite is timed but lasts two
    # whole days in the team's zone, London (23:00Z on the 14th is midnight BST on the 15th;
    # it ends at midnight BST on the 17th, so not the 17th).
    assert result.created == 4
    assert rows(team=team) == [
        (D(2026, 4, 6), D(2026, 4, 6), "Easter Monday"),
        (D(2026, 5, 1), D(2026, 5, 1), "Labour Day"),
        (D(2026, 9, 15), D(2026, 9, 16), "Offsite"),
        (D(2026, 12, 25), D(2026, 12, 25), "Christmas Day"),
    ]


def test_skipped_events_are_listed_with_line_uid_summary_and_reason():
    result = import_holidays(TeamFactory())

    got = [(s.line, s.uid, s.summary) for s in result.skipped]
    assert got == [row[:3] for row in SKIPPED]
    for skipped, (*_, reason) in zip(result.skipped, SKIPPED, strict=True):
        assert reason in skipped.reason


def test_reimporting_is_idempotent_also_for_events_without_uid():
    team = TeamFactory()
    import_holidays(team)

    again = import_holidays(team)
    # The same file again, with its events in another order: the keys do not depend on it.
    body = HOLIDAYS.split(b"BEGIN:VEVENT")
    shuffled = b"BEGIN:VEVENT".join([body[0], *reversed(body[1:-1]), body[-1]])
    shuffled = shuffled.replace(b"END:VCALENDAR\n", b"") + b"END:VCALENDAR\n"
    reordered = import_holidays(team, data=shuffled)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert (reordered.created, reordered.updated, reordered.unchanged) == (0, 0, 4)
    assert Unavailability.objects.filter(team=team).count() == 4


def test_an_event_without_uid_that_changes_is_a_new_one_and_prune_removes_the_old():
    team = TeamFactory()
    import_holidays(team, calendar="DE holidays")
    renamed = HOLIDAYS.replace(b"SUMMARY:Labour Day", b"SUMMARY:May Day")

    result = import_holidays(team, data=renamed, prune=True, calendar="DE holidays")

    # Without a UID the key is DTSTART + SUMMARY: a new summary is a new event.
    assert (result.created, result.deleted, result.unchanged) == (1, 1, 3)
    assert (D(2026, 5, 1), D(2026, 5, 1), "May Day") in rows(team=team)
    assert Unavailability.objects.filter(team=team).count() == 4


YEARLY = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Holidays//EN
BEGIN:VEVENT
UID:new-year@example.com
DTSTART;VALUE=DATE:20240101
DTEND;VALUE=DATE:20240102
RRULE:FREQ=YEARLY
EXDATE;VALUE=DATE:20260101
TRANSP:TRANSPARENT
SUMMARY:New Year's Day
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20201225
DTEND;VALUE=DATE:20201227
RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25
EXDATE;VALUE=DATE:20261225,20271225
TRANSP:TRANSPARENT
SUMMARY:Christmas
END:VEVENT
END:VCALENDAR
"""


def test_a_yearly_holiday_is_expanded_over_the_years_honouring_exdate():
    team = TeamFactory()

    result = import_holidays(team, data=YEARLY)

    # Today is 2026-03-01: occurrences from 1 January 2025 (last year, for the reports) to
    # two years ahead (366 * 2 days: 2028-03-02). New Year: 2025, (2026 excluded), 2027,
    # 2028. Christmas (two days, no UID): 2025, (2026 and 2027 excluded).
    assert result.created == 4
    assert result.skipped == []
    assert rows(team=team) == [
        (D(2025, 1, 1), D(2025, 1, 1), "New Year's Day"),
        (D(2025, 12, 25), D(2025, 12, 26), "Christmas"),
        (D(2027, 1, 1), D(2027, 1, 1), "New Year's Day"),
        (D(2028, 1, 1), D(2028, 1, 1), "New Year's Day"),
    ]
    again = import_holidays(team, data=YEARLY)
    assert (again.created, again.unchanged) == (0, 4)


WEEKLY = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Leave//EN
BEGIN:VEVENT
UID:fridays-off@example.com
DTSTART;VALUE=DATE:20260306
RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403
EXDATE;VALUE=DATE:20260320
SUMMARY:Day off
END:VEVENT
BEGIN:VEVENT
UID:every-other-wednesday@example.com
DTSTART;VALUE=DATE:20260304
DTEND;VALUE=DATE:20260305
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:Parental leave day
END:VEVENT
END:VCALENDAR
"""


def test_a_weekly_day_off_is_expanded():
    alice = UserFactory()

    result = services.unavailability_import_ics(data=WEEKLY, user=alice, today=TODAY)

    # Fridays 6 March to 3 April 2026 without the 20th: 6, 13, 27 March and 3 April.
    fridays = [r[0] for r in rows(user=alice, reason="Day off")]
    assert fridays == [D(2026, 3, 6), D(2026, 3, 13), D(2026, 3, 27), D(2026, 4, 3)]
    # Every other Wednesday from 4 March 2026, open-ended, up to the horizon 2028-03-02:
    # 2026-03-04 + 14 * n <= 2028-03-02, i.e. n <= 728 / 14 = 52, so 53 days; the last on
    # 2028-03-01, a Wednesday.
    wednesdays = [r[0] for r in rows(user=alice, reason="Parental leave day")]
    assert len(wednesdays) == 53
    assert (wednesdays[0], wednesdays[1], wednesdays[-1]) == (
        D(2026, 3, 4),
        D(2026, 3, 18),
        D(2028, 3, 1),
    )
    assert {day.weekday() for day in wednesdays} == {2}
    assert result.created == 4 + 53


def test_the_api_lists_the_skipped_events(make_client, manager_of):
    team = TeamFactory(slug="munich")
    client = make_client(manager_of(team))
    upload = SimpleUploadedFile("de.ics", HOLIDAYS, content_type="text/calendar")

    response = client.post(
        "/api/v1/unavailability/import/",
        {"file": upload, "team": "munich", "kind": "public_holiday"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 4
    assert [(s["line"], s["uid"], s["summary"]) for s in body["skipped"]] == [
        row[:3] for row in SKIPPED
    ]
    assert "no DTSTART" in body["skipped"][1]["reason"]


def test_the_admin_import_page_shows_the_skipped_events(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    team = TeamFactory()
    assert "Import iCalendar" in client.get("/admin/rota/unavailability/").content.decode()

    response = client.post(
        "/admin/rota/unavailability/import/",
        {
            "file": SimpleUploadedFile("de.ics", HOLIDAYS),
            "team": team.pk,
            "kind": "public_holiday",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "4 created" in html and "3 skipped" in html
    for line, uid, summary, reason in SKIPPED:
        assert f"<td>{line}</td><td>{uid}</td><td>{summary}</td>" in html
        assert reason in html
    assert Unavailability.objects.filter(team=team, kind="public_holiday").count() == 4


def test_the_admin_import_page_needs_one_source_and_one_owner(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post("/admin/rota/unavailability/import/", {"kind": "leave"})

    html = response.content.decode()
    assert "Upload a file or give a url (one)." in html
    assert "Choose a person or a team (exactly one)." in html
    assert not Unavailability.objects.exists()


def test_the_command_prints_the_skipped_events(tmp_path):
    team = TeamFactory(slug="munich")
    path = tmp_path / "de.ics"
    path.write_bytes(HOLIDAYS)
    out = io.StringIO()

    call_command(
        "import_unavailability", str(path), team="munich", kind="public_holiday", stdout=out
    )

    text = out.getvalue()
    assert "4 created, 0 updated, 0 unchanged, 0 deleted, 3 skipped." in text
    assert "skipped line 22 staff-party@example.com 'Staff party': a timed event of 2 h" in text
    assert "skipped line 28 undated@example.com 'Some day in spring': no DTSTART" in text
    assert Unavailability.objects.filter(team=team).count() == 4


BROKEN = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Leave//EN
BEGIN:VEVENT
UID:bad-rule@example.com
DTSTART;VALUE=DATE:20260105
RRULE:FREQ=SOMETIMES
SUMMARY:Now and then
END:VEVENT
BEGIN:VEVENT
UID:mixed@example.com
DTSTART;VALUE=DATE:20260105
DTEND:20260106T100000Z
SUMMARY:Half a date
END:VEVENT
BEGIN:VEVENT
UID:backwards@example.com
DTSTART;VALUE=DATE:20260110
DTEND;VALUE=DATE:20260108
SUMMARY:Backwards
END:VEVENT
BEGIN:VEVENT
UID:fine@example.com
DTSTART;VALUE=DATE:20260112
SUMMARY:Fine
END:VEVENT
END:VCALENDAR
"""


def test_events_that_cannot_be_read_are_skipped_alone_with_their_reasons():
    alice = UserFactory()

    result = services.unavailability_import_ics(data=BROKEN, user=alice, today=TODAY)

    # Only "Fine" is a readable day; the others are listed in file order.
    assert rows(user=alice) == [(D(2026, 1, 12), D(2026, 1, 12), "Fine")]
    assert [(s.line, s.uid) for s in result.skipped] == [
        (4, "bad-rule@example.com"),
        (10, "mixed@example.com"),
        (16, "backwards@example.com"),
    ]
    reasons = [s.reason for s in result.skipped]
    assert reasons[0].startswith("its recurrence could not be expanded")
    assert reasons[1] == "DTSTART and DTEND mix a date with a date-time"
    assert reasons[2] == "it ends before it starts"


# --- Timed events land on the days of whoever is away -------------------------------------


def one_event(start, end):
    """A calendar of one event with the DTSTART and DTEND lines given."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//leave//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:away@test\r\n{start}\r\n{end}\r\nSUMMARY:Away\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        # 23:00Z on 1 April 2027 is midnight BST on Friday 2 April: exactly that day.
        ("DTSTART:20270401T230000Z", "DTEND:20270402T230000Z", D(2027, 4, 2), D(2027, 4, 2)),
        # Midnight to midnight in Tokyo (UTC+9) is 16:00 BST on the 1st to 16:00 on the 2nd.
        (
            "DTSTART;TZID=Asia/Tokyo:20270402T000000",
            "DTEND;TZID=Asia/Tokyo:20270403T000000",
            D(2027, 4, 1),
            D(2027, 4, 2),
        ),
        # Floating times are wall-clock times wherever the person is: the 2nd, as written.
        ("DTSTART:20270402T000000", "DTEND:20270403T000000", D(2027, 4, 2), D(2027, 4, 2)),
        # In winter London is on UTC: 00:00Z-00:00Z is the 2nd of February alone.
        ("DTSTART:20270202T000000Z", "DTEND:20270203T000000Z", D(2027, 2, 2), D(2027, 2, 2)),
    ],
)
def test_a_persons_timed_leave_is_dated_in_their_teams_zone(start, end, first, last):
    team = TeamFactory(timezone="Europe/London")
    alice = MembershipFactory(team=team, user=UserFactory(username="alice")).user

    services.unavailability_import_ics(data=one_event(start, end), user=alice, today=TODAY)

    assert rows(user=alice) == [(first, last, "Away")]


def test_a_persons_own_zone_in_their_preferences_wins_over_their_teams():
    team = TeamFactory(timezone="Europe/London")
    alice = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    NotificationPreference.objects.create(user=alice, timezone="America/New_York")
    # 04:00Z on 2 April 2027 is midnight EDT (UTC-4): the 2nd in New York; in London it would
    # be 05:00 on the 2nd to 05:00 on the 3rd, two days.
    data = one_event("DTSTART:20270402T040000Z", "DTEND:20270403T040000Z")

    services.unavailability_import_ics(data=data, user=alice, today=TODAY)

    assert rows(user=alice) == [(D(2027, 4, 2), D(2027, 4, 2), "Away")]


def test_a_teams_timed_holiday_is_dated_in_the_teams_zone():
    team = TeamFactory(timezone="Asia/Kolkata")
    # 18:30Z on 1 April 2027 is midnight IST (UTC+5:30) on the 2nd, to midnight on the 3rd.
    data = one_event("DTSTART:20270401T183000Z", "DTEND:20270402T183000Z")

    import_holidays(team, data=data)

    assert rows(team=team) == [(D(2027, 4, 2), D(2027, 4, 2), "Away")]


# --- Prune removes only what came from the same calendar -----------------------------------


def calendar_of(name, *days):
    """A calendar named ``name`` (None: no X-WR-CALNAME) with an all-day event per day."""
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//leave//EN\r\n"
    if name is not None:
        head += f"X-WR-CALNAME:{name}\r\n"
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{name}-{day:%Y%m%d}@test\r\nDTSTART;VALUE=DATE:{day:%Y%m%d}\r\n"
        f"SUMMARY:{name} {day.day}\r\nEND:VEVENT\r\n"
        for day in days
    )
    return (head + events + "END:VCALENDAR\r\n").encode()


def test_pruning_one_uploaded_calendar_keeps_the_leave_of_another():
    alice = UserFactory()
    both = {"user": alice, "today": TODAY}
    services.unavailability_import_ics(data=calendar_of("Holidays", D(2026, 4, 6)), **both)
    services.unavailability_import_ics(
        data=calendar_of("Training", D(2026, 5, 4), D(2026, 5, 5)), **both
    )

    # Training again with 5 May gone: only that day goes; the holiday from the other calendar
    # stays although it is not in this file.
    result = services.unavailability_import_ics(
        data=calendar_of("Training", D(2026, 5, 4)), prune=True, **both
    )
    assert (result.deleted, result.unchanged) == (1, 1)
    assert [r[0] for r in rows(user=alice)] == [D(2026, 4, 6), D(2026, 5, 4)]

    # An empty Training calendar removes Training's days alone.
    result = services.unavailability_import_ics(data=calendar_of("Training"), prune=True, **both)
    assert result.deleted == 1
    assert [r[0] for r in rows(user=alice)] == [D(2026, 4, 6)]
    assert Unavailability.objects.get(user=alice).calendar == "Holidays"


def test_a_calendar_name_given_wins_and_a_nameless_file_cannot_be_pruned_without_one():
    alice = UserFactory()
    both = {"user": alice, "today": TODAY}
    services.unavailability_import_ics(
        data=calendar_of(None, D(2026, 4, 6)), calendar="Work", **both
    )
    services.unavailability_import_ics(
        data=calendar_of(None, D(2026, 5, 4)), calendar="Home", **both
    )

    with pytest.raises(ValidationError) as refused:
        services.unavailability_import_ics(data=calendar_of(None), prune=True, **both)
    assert "Name the calendar" in refused.value.message_dict["calendar"][0]

    result = services.unavailability_import_ics(
        data=calendar_of(None), prune=True, calendar="Home", **both
    )
    assert result.deleted == 1
    assert [r[0] for r in rows(user=alice)] == [D(2026, 4, 6)]


def test_pruning_a_url_keeps_what_came_from_another_url(make_client, manager_of, monkeypatch):
    team = TeamFactory(slug="ops")
    served = {
        "https://a.example.com/h.ics": calendar_of("Same name", D(2026, 4, 6)),
        "https://b.example.com/h.ics": calendar_of("Same name", D(2026, 5, 1)),
    }
    monkeypatch.setattr(
        "rota.services.unavailability_ics.fetch_calendar",
        lambda url: served[url.replace("webcal://", "https://")],
    )
    api = make_client(manager_of(team))
    post = {"team": "ops", "kind": "public_holiday"}
    for url in served:
        response = api.post("/api/v1/unavailability/import/", {**post, "url": url})
        assert response.status_code == 201, response.content

    # Calendar A now serves nothing; B's 1 May stays although both calendars share a name.
    # webcal:// is the same calendar as https://.
    served["https://a.example.com/h.ics"] = calendar_of("Same name")
    response = api.post(
        "/api/v1/unavailability/import/",
        {**post, "url": "webcal://a.example.com/h.ics", "prune": True},
    )
    assert response.status_code == 200, response.content
    assert response.json()["deleted"] == 1
    assert [r[0] for r in rows(team=team)] == [D(2026, 5, 1)]


def test_the_api_refuses_to_prune_a_nameless_upload_naming_the_calendar_field(
    make_client, manager_of
):
    team = TeamFactory(slug="ops")
    upload = io.BytesIO(calendar_of(None))
    upload.name = "basic.ics"
    response = make_client(manager_of(team)).post(
        "/api/v1/unavailability/import/",
        {"team": "ops", "file": upload, "prune": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "Name the calendar" in str(response.json()["calendar"])
