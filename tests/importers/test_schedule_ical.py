"""Any iCalendar on-call feed as shifts: the sample .ics worked out on paper, event by event.

samples/oncall_schedule.ics, imported into a new Europe/London rotation over 1 March - 1 May
2027. UK summer time starts on Sunday 28 March 2027 at 01:00 UTC (GMT = UTC before, BST =
UTC+1 after).

- weekly-1: "On call: Alice Martin", Mondays 09:00-Tuesday 09:00 London, 6 times from 1 March
  (1, 8, 15, 22, 29 March, 5 April); 15 March is an EXDATE; 22 March is moved (RECURRENCE-ID)
  to Tuesday 23 March 09:00-24 March 09:00 and given to Bob Stone. 5 shifts.
- dst-1: Carol Diaz, 27 March 12:00 GMT (12:00Z) - 28 March 12:00 BST (11:00Z): 23 hours.
- floating-1: "Cover: erin" 1 April 08:00-20:00 floating = London wall clock, BST: 07:00Z-19:00Z.
- allday-1: "dave@example.com", DATE 10-12 April = 10 and 11 April in London:
  9 April 23:00Z - 11 April 23:00Z.
- unknown-1: "Zed Nobody" matches nobody: a problem.
- over-a (Alice, 20 April 09:00Z - 21 April 09:00Z) and over-b (Bob, 21 April 00:00Z - 22 April
  00:00Z) overlap: over-b, the later, is a problem naming over-a.
- attendee-1: "Primary on-call", ATTENDEE bob@example.com: Bob, 25 April 10:00Z-12:00Z.
- amb-1: "Alice Martin / Bob Stone" names two people: a problem.

Shifts: 5 + 1 + 1 + 1 + 1 (over-a) + 1 (attendee-1) = 10; problems: 3.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

import importers.tasks  # noqa: F401 - registers the import task, as the worker does
from importers import registry
from importers.base import ImportRefused, Problem, execute
from rota.models import Rotation, Shift
from rota.services import rotation_generate, rotation_set_participants
from tests.ownership.factories import TeamFactory, UserFactory

from .incident_world import SAMPLES, sample

UTC = datetime.UTC
ICS = sample("oncall_schedule.ics")
WINDOW = {"rotation": "Payments primary", "from": "2027-03-01", "until": "2027-05-01"}


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def people(db):
    team = TeamFactory(slug="payments", name="Payments", timezone="Europe/London")
    made = {}
    for username, first, last in (
        ("alice", "Alice", "Martin"),
        ("bob", "Bob", "Stone"),
        ("carol", "Carol", "Diaz"),
        ("dave", "Dave", "Okafor"),
        ("erin", "Erin", "Wu"),
    ):
        made[username] = UserFactory(username=username, first_name=first, last_name=last)
    return {"team": team, **made}


def run(data=ICS, dry_run=False, **options):
    info = registry.get("ical-schedule")
    options = {**WINDOW, "team": "payments", "mapping": {}, **options}
    return execute(info.run, data, source="ical-schedule", options=options, dry_run=dry_run)


def oncall(client, rotation, instant):
    response = client.get("/api/v1/oncall/", {"rotation": rotation.pk, "at": instant.isoformat()})
    assert response.status_code == 200, response.content
    primary = response.json()["primary"]
    return primary and primary["username"]


# Who is on call at each instant, worked out on paper from the events above.
EXPECTED = [
    (at(2027, 3, 1, 8, 59), None),  # weekly-1 starts 09:00 GMT = 09:00Z
    (at(2027, 3, 1, 9, 0), "alice"),
    (at(2027, 3, 15, 10, 0), None),  # the EXDATE week
    (at(2027, 3, 22, 10, 0), None),  # moved away from Monday 22nd...
    (at(2027, 3, 23, 10, 0), "bob"),  # ...to Tuesday 23rd, Bob's
    (at(2027, 3, 28, 0, 59), "carol"),  # dst-1, GMT still
    (at(2027, 3, 28, 1, 0), "carol"),  # 02:00 BST: the clocks went forward
    (at(2027, 3, 28, 10, 59), "carol"),  # 11:59 BST
    (at(2027, 3, 28, 11, 0), None),  # 12:00 BST: dst-1 ended after 23 hours
    (at(2027, 3, 29, 7, 59), None),  # weekly-1 now starts 09:00 BST = 08:00Z
    (at(2027, 3, 29, 8, 0), "alice"),
    (at(2027, 3, 30, 7, 59), "alice"),
    (at(2027, 3, 30, 8, 0), None),
    (at(2027, 4, 1, 6, 59), None),  # floating 08:00 London = 07:00Z
    (at(2027, 4, 1, 7, 0), "erin"),
    (at(2027, 4, 9, 22, 59), None),  # all day 10 April starts at 00:00 BST = 23:00Z
    (at(2027, 4, 9, 23, 0), "dave"),
    (at(2027, 4, 11, 22, 59), "dave"),
    (at(2027, 4, 11, 23, 0), None),
    (at(2027, 4, 15, 12, 0), None),  # unknown-1: not imported
    (at(2027, 4, 21, 8, 0), "alice"),  # over-a kept...
    (at(2027, 4, 21, 12, 0), None),  # ...over-b not imported
    (at(2027, 4, 25, 11, 0), "bob"),  # by ATTENDEE
    (at(2027, 4, 26, 11, 0), None),  # amb-1 not imported
]

PROBLEMS = [
    Problem(
        "event unknown-1@example.com on 2027-04-15 09:00",
        'nobody in Rota matches "On call: Zed Nobody"; map the summary to a username in '
        "the mapping file",
    ),
    Problem(
        "event amb-1@example.com on 2027-04-26 11:00",
        '"Alice Martin / Bob Stone" is ambiguous: the full names in the summary name alice, '
        "bob; say which in the mapping file",
    ),
    Problem(
        "event over-b@example.com on 2027-04-21 01:00",
        'overlaps event over-a@example.com on 2027-04-20 10:00 ("On call: Alice Martin"): a '
        "rotation has one person on duty at a time; not imported",
    ),
]


def test_import_gives_who_is_on_call(people, staff_client):
    report = run()
    assert report.created == {"rotation": 1, "shift": 10}
    assert report.problems == PROBLEMS
    rotation = Rotation.objects.get(name="Payments primary")
    assert (rotation.team, rotation.role, rotation.timezone, rotation.kind) == (
        people["team"],
        "primary",
        "Europe/London",
        "person",
    )
    shifts = list(rotation.shifts.order_by("start"))
    assert all(s.edited and s.source == "ical" for s in shifts)
    assert [s.source_id for s in shifts[:3]] == [
        "weekly-1@example.com/20270301T090000Z",
        "weekly-1@example.com/20270308T090000Z",
        # The moved occurrence keeps its original start as key.
        "weekly-1@example.com/20270322T090000Z",
    ]
    assert shifts[0].note == "On call: Alice Martin"
    for instant, username in EXPECTED:
        assert oncall(staff_client, rotation, instant) == username, instant


def test_second_run_changes_nothing(people):
    run()
    before = list(Shift.objects.values_list("pk", "sequence", "start", "end", "user"))
    report = run()
    assert (report.created, report.updated, report.deleted) == ({}, {}, {})
    assert report.unchanged == {"shift": 10}
    assert report.problems == PROBLEMS
    assert not report.changed
    after = list(Shift.objects.values_list("pk", "sequence", "start", "end", "user"))
    assert after == before


def test_dry_run_writes_nothing(people):
    report = run(dry_run=True)
    assert report.created == {"rotation": 1, "shift": 10}
    assert len(report.problems) == 3
    assert not Rotation.objects.exists()
    assert not Shift.objects.exists()


def test_reimport_updates_and_removes(people):
    run()
    floating = Shift.objects.get(source_id="floating-1@example.com")
    changed = (
        ICS.replace(b"UID:attendee-1@example.com", b"UID:gone")
        .replace(b"DTSTART:20270401T080000", b"DTSTART:20270401T090000")
        .replace(b"On call: Zed Nobody", b"On call: Carol Diaz")
    )
    # "gone" is a new event whose old one (attendee-1) disappeared: one deleted, one created.
    changed = changed.replace(b"DTSTART:20270425T100000Z", b"DTSTART:20270427T100000Z")
    changed = changed.replace(b"DTEND:20270425T120000Z", b"DTEND:20270427T120000Z")
    report = run(changed)
    assert report.deleted == {"shift": 1}
    assert report.updated == {"shift": 1}  # floating-1 now 08:00Z
    assert report.created == {"shift": 2}  # unknown-1 is Carol's now; "gone"
    assert report.unchanged == {"shift": 8}
    assert "delete shift event attendee-1@example.com on 2027-04-25 11:00 (bob)" in (report.details)
    assert not Shift.objects.filter(source_id="attendee-1@example.com").exists()
    moved = Shift.objects.get(pk=floating.pk)
    assert (moved.start, moved.end, moved.sequence) == (
        at(2027, 4, 1, 8, 0),
        at(2027, 4, 1, 19, 0),
        floating.sequence + 1,
    )


def test_event_gone_outside_the_window_stays(people):
    run()
    report = run(ICS.replace(b"UID:attendee-1@example.com", b"UID:gone"), **{"from": "2027-04-26"})
    # The window starts on 26 April: attendee-1 (25 April) is outside it and stays; "gone"
    # (25 April too) is not imported; over-a, amb-1 and the rest lie before it.
    assert report.deleted == {}
    assert Shift.objects.filter(source_id="attendee-1@example.com").exists()
    assert not Shift.objects.filter(source_id="gone").exists()


def test_mapping_names_the_person(people, staff_client):
    report = run(mapping={"Zed Nobody": "carol@example.com", "Alice Martin / Bob": "bob"})
    # The mapping key "Alice Martin / Bob" lies in amb-1's summary: Bob.
    assert report.created == {"rotation": 1, "shift": 12}
    assert [p.where for p in report.problems] == ["event over-b@example.com on 2027-04-21 01:00"]
    rotation = Rotation.objects.get()
    assert oncall(staff_client, rotation, at(2027, 4, 15, 12, 0)) == "carol"
    assert oncall(staff_client, rotation, at(2027, 4, 26, 11, 0)) == "bob"


def test_mapping_to_nobody_is_a_problem(people):
    report = run(mapping={"Zed Nobody": "zed"})
    assert report.problems[0] == Problem(
        "event unknown-1@example.com on 2027-04-15 09:00",
        'the mapping sends "Zed Nobody" to "zed", who is no Rota user',
    )


def test_existing_rotation_with_generated_shift_reports_the_clash(people):
    rotation = Rotation.objects.create(
        name="Payments primary",
        team=people["team"],
        timezone="Europe/London",
        start_date=datetime.date(2027, 4, 20),
    )
    rotation_set_participants(rotation=rotation, participants=["carol"], regenerate=False)
    # One generated weekly shift of Carol's, 20 April 09:00 BST (08:00Z) - 27 April 08:00Z.
    rotation_generate(rotation=rotation, until=at(2027, 4, 21), now=at(2027, 4, 1))
    generated = Shift.objects.get()
    assert (generated.start, generated.end) == (at(2027, 4, 20, 8), at(2027, 4, 27, 8))
    report = run()
    # over-a and attendee-1 fall in Carol's week: each is a problem; the other 8 come in.
    assert report.created == {"shift": 8}
    clashes = [p for p in report.problems if "overlaps Carol Diaz's shift" in p.message]
    assert [p.where for p in clashes] == [
        "event over-a@example.com on 2027-04-20 10:00",
        "event attendee-1@example.com on 2027-04-25 11:00",
    ]
    assert clashes[0].message.endswith("Not imported.")


def test_refusals(people):
    with pytest.raises(ImportRefused, match="not an iCalendar file"):
        run(b"id,service\n1,x\n")
    with pytest.raises(ImportRefused, match='option rotation: no rotation "Other"'):
        run(rotation="Other", team="")
    with pytest.raises(ImportRefused, match='option team: no team "nope"'):
        run(team="nope")
    with pytest.raises(ImportRefused, match='option from: "March" is no ISO date'):
        run(**{"from": "March"})
    with pytest.raises(ImportRefused, match="options: unknown option colour"):
        run(colour="red")
    with pytest.raises(ImportRefused, match="option role:"):
        run(role="tertiary")
    assert not Rotation.objects.exists()


def test_command(people, tmp_path):
    mapping = tmp_path / "people.yaml"
    mapping.write_text("Zed Nobody: carol\n")
    out = StringIO()
    args = [
        "import_schedule",
        "ical-schedule",
        str(SAMPLES / "oncall_schedule.ics"),
        "--rotation",
        "Payments secondary",
        "--team",
        "payments",
        "--role",
        "secondary",
        "--timezone",
        "Europe/Paris",
        "--from",
        "2027-03-01",
        "--until",
        "2027-05-01",
        "--mapping",
        str(mapping),
    ]
    call_command(*args, "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[:2] == [
        "Dry run: nothing was written.",
        "would create: 1 rotation, 11 shift",
    ]
    assert not Rotation.objects.exists()
    out = StringIO()
    call_command(*args, stdout=out)
    assert out.getvalue().splitlines()[0] == "created: 1 rotation, 11 shift"
    rotation = Rotation.objects.get()
    assert (rotation.role, rotation.timezone) == ("secondary", "Europe/Paris")
    # Floating 08:00 in Paris (CEST, UTC+2) is 06:00Z.
    assert Shift.objects.get(source_id="floating-1@example.com").start == at(2027, 4, 1, 6)
    with pytest.raises(CommandError, match="Unknown format 'nope'"):
        call_command("import_schedule", "nope", str(mapping))
    with pytest.raises(CommandError, match="--option 'x': give KEY=VALUE"):
        call_command(*args, "--option", "x")


def test_admin_page_takes_the_options(people, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from importers.models import ImportRun
    from portal.celery import app as celery_app
    from tests.ownership.factories import rota_admin

    client = Client()
    client.force_login(rota_admin())
    new = reverse("admin:importers_importrun_new")

    def post(options):
        return client.post(
            new,
            {
                "importer": "ical-schedule",
                "file": SimpleUploadedFile("oncall.ics", ICS),
                "mapping": SimpleUploadedFile("people.yaml", b"Zed Nobody: carol\n"),
                "options": options,
            },
        )

    response = post("rotation Payments")
    assert response.status_code == 200
    assert "Line 1: give KEY=VALUE" in response.content.decode()

    post("rotation=Payments primary\nteam=payments\n\nfrom=2027-03-01\nuntil=2027-05-01\n")
    run = ImportRun.objects.get()
    assert run.options == {
        "rotation": "Payments primary",
        "team": "payments",
        "from": "2027-03-01",
        "until": "2027-05-01",
        "mapping": {"Zed Nobody": "carol"},
    }
    # The mapping gives unknown-1 to Carol: 11 shifts, over-b and amb-1 left out.
    assert (run.status, run.report["created"]) == ("checked", {"rotation": 1, "shift": 11})
    assert len(run.report["problems"]) == 2
    assert not Shift.objects.exists()

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(run.get_absolute_url(), {"apply": "1"})
    finally:
        celery_app.conf.task_always_eager = before
    run.refresh_from_db()
    # 13 occurrences read: weekly-1 5, then one each of the other 8 events.
    assert (run.status, run.done, run.total) == ("done", 13, 13)
    assert Shift.objects.filter(source="ical").count() == 11


def test_google_style_feed(people):
    ics = b"""BEGIN:VCALENDAR
VERSION:2.0
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VEVENT
SUMMARY:alice@example.com
DTSTART:20270401T080000
DURATION:PT4H
END:VEVENT
BEGIN:VEVENT
UID:oneday
SUMMARY:Bob Stone
DTSTART;VALUE=DATE:20270402
END:VEVENT
BEGIN:VEVENT
UID:cancelled
STATUS:CANCELLED
SUMMARY:Carol Diaz
DTSTART:20270403T080000Z
DTEND:20270403T090000Z
END:VEVENT
BEGIN:VEVENT
UID:no-end
SUMMARY:Carol Diaz
DTSTART:20270404T080000Z
END:VEVENT
END:VCALENDAR
"""
    report = run(ics)
    # Floating 08:00 read in X-WR-TIMEZONE Berlin (CEST, UTC+2): 06:00Z, for 4 hours. A DATE
    # without DTEND is one day: 2 April in London (BST) is 1 April 23:00Z - 2 April 23:00Z.
    # The cancelled event is skipped; a timed event without an end is reported.
    assert report.created == {"rotation": 1, "shift": 2}
    assert report.problems == [
        Problem(
            "event no-end on 2027-04-04 09:00",
            "it lasts no time (no DTEND or DURATION): a shift needs an end",
        )
    ]
    assert list(Shift.objects.order_by("start").values_list("user__username", "start", "end")) == [
        ("alice", at(2027, 4, 1, 6), at(2027, 4, 1, 10)),
        ("bob", at(2027, 4, 1, 23), at(2027, 4, 2, 23)),
    ]


def two_events(first_day: int, second_day: int) -> bytes:
    """Alice's event "first" and Bob's "second", each 24 hours from 09:00Z on the day given."""
    events = "".join(
        f"BEGIN:VEVENT\nUID:{uid}\nSUMMARY:{who}\n"
        f"DTSTART:202704{day:02d}T090000Z\nDTEND:202704{day + 1:02d}T090000Z\nEND:VEVENT\n"
        for uid, who, day in (
            ("first", "Alice Martin", first_day),
            ("second", "Bob Stone", second_day),
        )
    )
    return f"BEGIN:VCALENDAR\nVERSION:2.0\n{events}END:VCALENDAR\n".encode()


def test_events_trading_places(people, staff_client):
    run(two_events(1, 2))
    # "first" moves to 2 April, the day "second" holds, and "second" to 1 April: each waits
    # for the other to move, so both rows are replaced (reported as updates).
    report = run(two_events(2, 1))
    assert (report.updated, report.created, report.deleted) == ({"shift": 2}, {}, {})
    assert report.problems == []
    rotation = Rotation.objects.get()
    assert oncall(staff_client, rotation, at(2027, 4, 1, 12)) == "bob"
    assert oncall(staff_client, rotation, at(2027, 4, 2, 12)) == "alice"
    assert Shift.objects.count() == 2


def test_event_moving_into_the_place_another_leaves(people):
    run(two_events(1, 2))
    pks = dict(Shift.objects.values_list("source_id", "pk"))
    # Both move a day later: "first" (tried first, by its new start) waits until "second" has
    # left 2 April; the rows stay the same, one SEQUENCE step each.
    report = run(two_events(2, 3))
    assert (report.updated, report.created, report.deleted) == ({"shift": 2}, {}, {})
    rows = {s.source_id: s for s in Shift.objects.all()}
    assert {key: s.pk for key, s in rows.items()} == pks
    assert (rows["first"].start, rows["first"].sequence) == (at(2027, 4, 2, 9), 1)
    assert (rows["second"].start, rows["second"].sequence) == (at(2027, 4, 3, 9), 1)
