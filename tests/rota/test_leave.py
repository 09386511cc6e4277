"""Leave entered after the rota was made changes as little as possible, at once, and says why.

The organisation: team Payments (Europe/London), engineers alice, bob, carol and dave, manager
maria; a weekly person rotation in that order, handing off on Mondays at 09:00 London, from
Monday 7 January 2030 (GMT, so London = UTC all through). Nine weeks are generated:

    week  1 Jan 7  alice      4 Jan 28 dave       7 Feb 18 carol
          2 Jan 14 bob        5 Feb 4  alice      8 Feb 25 dave
          3 Jan 21 carol      6 Feb 11 bob        9 Mar 4  alice
"""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications import services as notification_services
from notifications.models import ChangeNotice
from rota import services
from rota.models import Override, Shift, ShiftChange, Unavailability
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, SprintCalendarFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2030, 1, 1, 9, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)
URL = "/api/v1/unavailability/"


def day(d, m=1):
    return datetime.date(2030, m, d)


def at(d, m=1, hour=0):
    return datetime.datetime(2030, m, d, hour, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the rota's clock at NOW (audit rows and 'what is still to come')."""
    current = {"now": NOW}
    monkeypatch.setattr("django.utils.timezone.now", lambda: current["now"])
    return current


@pytest.fixture
def org(clock):
    team = TeamFactory(name="Payments", slug="payments", timezone="Europe/London")
    people = {}
    for name in ("alice", "bob", "carol", "dave"):
        user = UserFactory(username=name, first_name=name.title(), last_name="Smith")
        MembershipFactory(team=team, user=user)
        people[name] = user
    maria = MembershipFactory(
        team=team, role="manager", user=UserFactory(username="maria", first_name="Maria")
    ).user
    rotation = RotationFactory(
        name="Payments on-call",
        team=team,
        start_date=day(7),
        participants=[people[n] for n in ("alice", "bob", "carol", "dave")],
    )
    services.rotation_generate(rotation=rotation, until=day(10, 3), now=NOW)
    return {"team": team, "rotation": rotation, "maria": maria, **people}


def rows(rotation):
    """Return (start, holder, edited, id) of every shift, in time order."""
    return [
        (s.start, s.user.username, s.edited, s.pk)
        for s in Shift.objects.filter(rotation=rotation).select_related("user").order_by("start")
    ]


def holders(rotation):
    return [username for _, username, _, _ in rows(rotation)]


def notices():
    """Return {username: [summary, ...]} of the change notices collected a minute on."""
    notification_services.change_notices_collect(now=NOW + MINUTE)
    found = {}
    for notice in ChangeNotice.objects.select_related("user").order_by("pk"):
        found.setdefault(notice.user.username, []).append(notice.summary)
    return found


@pytest.fixture
def send_changes(clock, django_capture_on_commit_callbacks):
    """Scan a minute on (notices recorded), then once the batch closed; send what is due."""

    def run():
        for later in (NOW + MINUTE, NOW + 7 * MINUTE):
            clock["now"] = later
            enqueued = []
            with django_capture_on_commit_callbacks(execute=True):
                notification_services.notifications_scan(now=later, enqueue=enqueued.extend)
            for delivery_id in enqueued:
                notification_services.delivery_send(delivery_id=delivery_id, now=later)
        return {message.to[0]: message for message in mail.outbox}

    return run


def test_the_rota_before_any_leave(org):
    assert holders(org["rotation"]) == [
        "alice",
        "bob",
        "carol",
        "dave",
        "alice",
        "bob",
        "carol",
        "dave",
        "alice",
    ]


def test_one_wednesday_of_leave_is_covered_for_that_day_only(org, make_client, send_changes):
    before = rows(org["rotation"])
    carol, dave = org["carol"], org["dave"]

    response = make_client(org["maria"]).post(
        URL, {"user": "carol", "start_date": "2030-01-23", "end_date": "2030-01-23"}, format="json"
    )

    assert response.status_code == 201, response.content
    # All nine weeks keep their holder (and id); nothing was re-dealt or audited.
    assert rows(org["rotation"]) == before
    assert not ShiftChange.objects.exists()
    # Dave, next after carol in turn order and free, covers Wednesday 23 January: midnight to
    # midnight London, which is GMT = UTC in January.
    assert [
        (o.user.username, o.start, o.end, o.reason, o.leave_id) for o in Override.objects.all()
    ] == [("dave", at(23), at(24), "Carol Smith is on leave", response.json()["id"])]
    # Only carol (her duty is covered) and dave (he covers) hear of it, and why.
    found = notices()
    assert set(found) == {"carol", "dave"}
    assert [s["reason"] for s in found["carol"] + found["dave"]] == ["Carol Smith is on leave"] * 2
    messages = send_changes()
    assert set(messages) == {carol.email, dave.email}
    assert "for Carol Smith (Carol Smith is on leave)" in messages[dave.email].body
    assert "you cover" in messages[dave.email].body

    # The nightly job changes nothing more: no re-deal, no second cover.
    result = services.rotation_regenerate(rotation=org["rotation"], until=day(10, 3), now=NOW)
    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert rows(org["rotation"]) == before
    assert Override.objects.count() == 1


def test_the_clash_shows_in_the_api_until_it_is_covered(org, make_client):
    client = make_client(org["maria"])
    # Bob and carol cannot cover carol's week 3 (bob is away too, and so is dave) but alice
    # can: take alice out of the picture by putting her on leave first.
    for name in ("alice", "bob", "dave"):
        Unavailability.objects.create(user=org[name], start_date=day(23), end_date=day(23))
    client.post(
        URL, {"user": "carol", "start_date": "2030-01-23", "end_date": "2030-01-23"}, format="json"
    )
    assert not Override.objects.exists()  # nobody was free to cover

    body = client.get("/api/v1/shifts/", {"user": "carol", "start_before": "2030-01-28T00:00Z"})
    shifts = body.json()["results"]
    assert [s["leave_conflict"] for s in shifts] == [True]
    assert shifts[0]["leave_conflicts"] == [
        {
            "start": "2030-01-23T00:00:00Z",
            "end": "2030-01-24T00:00:00Z",
            "start_date": "2030-01-23",
            "end_date": "2030-01-23",
            "reason": "",
        }
    ]
    # A manager arranges cover: the clash is gone, on the list and on the shift itself.
    services.override_create(rotation=org["rotation"], user=org["alice"], start=at(23), end=at(24))
    again = client.get("/api/v1/shifts/", {"user": "carol", "start_before": "2030-01-28T00:00Z"})
    assert [s["leave_conflict"] for s in again.json()["results"]] == [False]
    single = client.get(f"/api/v1/shifts/{shifts[0]['id']}/").json()
    assert (single["leave_conflict"], single["leave_conflicts"]) == (False, [])


def test_a_whole_week_of_leave_swaps_two_turns(org, make_client):
    before = {start: pk for start, _, _, pk in rows(org["rotation"])}
    alice, dave = org["alice"], org["dave"]

    # Dave is away Monday 28 January to Sunday 3 February: all of week 4 (28 Jan 09:00 to
    # 4 Feb 09:00) but the handoff day it ends on. The nearest later turn of someone free is
    # alice's week 5; dave is back by then. So weeks 4 and 5 swap, nothing else changes.
    response = make_client(dave).post(
        URL, {"start_date": "2030-01-28", "end_date": "2030-02-03"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert holders(org["rotation"]) == [
        "alice",
        "bob",
        "carol",
        "alice",
        "dave",
        "bob",
        "carol",
        "dave",
        "alice",
    ]
    assert {start: pk for start, _, _, pk in rows(org["rotation"])} == before  # same rows
    assert [edited for _, _, edited, _ in rows(org["rotation"])] == [False] * 3 + [True] * 2 + [
        False
    ] * 4
    changes = ShiftChange.objects.filter(action=ShiftChange.Action.LEAVE).order_by("pk")
    assert [(c.old["user"], c.new["user"], c.note) for c in changes] == [
        (dave.pk, alice.pk, "Dave Smith is on leave"),
        (alice.pk, dave.pk, "Dave Smith is on leave"),
    ]
    assert not Override.objects.exists()
    # Only alice and dave hear of it (two changes each), each saying why.
    found = notices()
    assert set(found) == {"alice", "dave"}
    assert [s["note"] for s in found["alice"] + found["dave"]] == ["Dave Smith is on leave"] * 4
    # The nightly job keeps the swap and re-deals nothing.
    swapped = rows(org["rotation"])
    result = services.rotation_regenerate(rotation=org["rotation"], until=day(10, 3), now=NOW)
    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert rows(org["rotation"]) == swapped


def test_leave_notices_read_as_a_swap_because_of_leave(org, make_client, send_changes):
    make_client(org["maria"]).post(
        URL, {"user": "dave", "start_date": "2030-01-28", "end_date": "2030-02-03"}, format="json"
    )
    messages = send_changes()
    assert set(messages) == {org["alice"].email, org["dave"].email}
    assert (
        "the shift Mon 28 Jan 2030, 09:00 GMT - Mon 4 Feb 2030, 09:00 GMT swapped from "
        "Dave Smith to you because Dave Smith is on leave"
    ) in messages[org["alice"].email].body


def test_a_kept_shift_is_never_moved_only_covered(org, make_client):
    week6 = Shift.objects.get(rotation=org["rotation"], start=at(11, 2, 9))
    services.shift_update(shift=week6, note="bob swapped this by hand")  # now kept

    make_client(org["bob"]).post(
        URL, {"start_date": "2030-02-11", "end_date": "2030-02-17"}, format="json"
    )

    # Week 6 stays bob's (no swap); carol, next after bob and free, covers his days away
    # from the handoff to the end of Sunday.
    week6.refresh_from_db()
    assert (week6.user, week6.edited) == (org["bob"], True)
    assert holders(org["rotation"])[5:7] == ["bob", "carol"]
    assert [(o.user, o.start, o.end) for o in Override.objects.all()] == [
        (org["carol"], at(11, 2, 9), at(18, 2))
    ]


def test_a_shift_on_offer_is_not_moved_either(org, make_client):
    week6 = Shift.objects.get(rotation=org["rotation"], start=at(11, 2, 9))
    services.swap_offer(shift=week6, by=org["bob"], now=NOW)

    make_client(org["bob"]).post(
        URL, {"start_date": "2030-02-11", "end_date": "2030-02-17"}, format="json"
    )

    assert holders(org["rotation"])[5] == "bob"
    assert Override.objects.get().user == org["carol"]


def test_a_swap_that_would_make_three_turns_in_a_row_is_passed_over(org, make_client):
    rotation = org["rotation"]
    shifts = list(Shift.objects.filter(rotation=rotation).order_by("start"))
    # Weeks 2 and 3 are handed to bob by hand: alice, bob, bob, dave, alice, bob, ...
    services.shift_update(shift=shifts[1], user=org["bob"])
    services.shift_update(shift=shifts[2], user=org["bob"])
    # Dave is away all of week 4. The nearest later turn, alice's week 5, is out: alice is
    # away on 29 January, inside week 4. The next, bob's week 6, would make bob hold weeks
    # 2, 3 and 4, so it is passed over for carol's week 7 (carol is free in week 4, dave in
    # week 7; dave then holds weeks 7 and 8: two in a row, allowed).
    Unavailability.objects.create(user=org["alice"], start_date=day(29), end_date=day(29))

    make_client(org["dave"]).post(
        URL, {"start_date": "2030-01-28", "end_date": "2030-02-03"}, format="json"
    )

    assert holders(rotation) == [
        "alice",
        "bob",
        "bob",
        "carol",
        "alice",
        "bob",
        "dave",
        "dave",
        "alice",
    ]


def test_changing_or_removing_leave_moves_its_cover(org, make_client):
    client = make_client(org["carol"])
    entry = client.post(
        URL, {"start_date": "2030-01-23", "end_date": "2030-01-23"}, format="json"
    ).json()

    client.patch(f"{URL}{entry['id']}/", {"end_date": "2030-01-24"}, format="json")
    assert [(o.user, o.start, o.end) for o in Override.objects.all()] == [
        (org["dave"], at(23), at(25))
    ]
    cover = Override.objects.get()

    client.patch(f"{URL}{entry['id']}/", {"reason": "Dentist"}, format="json")
    assert list(Override.objects.all()) == [cover]  # the same cover: nobody is told again

    assert client.delete(f"{URL}{entry['id']}/").status_code == 204
    assert not Override.objects.exists()


def test_leave_entered_on_my_rota_page_is_acted_on_at_once(org, client):
    client.force_login(org["carol"])
    response = client.post(
        "/me/leave/", {"start_date": "2030-01-23", "end_date": "2030-01-23", "reason": "Dentist"}
    )
    assert response.status_code == 302
    assert [(o.user, o.start, o.end) for o in Override.objects.all()] == [
        (org["dave"], at(23), at(24))
    ]


def test_my_rota_page_flags_a_shift_that_clashes_with_leave(org, client):
    for name in ("alice", "bob", "dave"):  # nobody free to cover carol
        Unavailability.objects.create(user=org[name], start_date=day(23), end_date=day(23))
    services.unavailability_create(user=org["carol"], start_date=day(23), end_date=day(23))
    client.force_login(org["carol"])

    page = client.get("/me/").content.decode()

    assert "clashes with your leave" in page
    assert "Away without cover" in page
    client.force_login(org["alice"])
    assert "clashes with your leave" not in client.get("/me/").content.decode()


def test_leave_entered_in_the_admin_is_acted_on_at_once(org, client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/rota/unavailability/add/",
        {
            "user": org["carol"].pk,
            "start_date": "2030-01-23",
            "end_date": "2030-01-23",
            "kind": "leave",
            "reason": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [(o.user, o.start, o.end) for o in Override.objects.all()] == [
        (org["dave"], at(23), at(24))
    ]


def test_the_cover_is_the_next_in_turn_who_is_not_on_duty_elsewhere(org, make_client):
    # Dave (next after carol) is on call in another rotation that Wednesday: alice, next
    # after him, covers instead.
    ShiftFactory(rotation=RotationFactory(name="Search"), user=org["dave"], start=at(21, 1, 9))

    make_client(org["carol"]).post(
        URL, {"start_date": "2030-01-23", "end_date": "2030-01-23"}, format="json"
    )

    assert [(o.user.username, o.start, o.end) for o in Override.objects.all()] == [
        ("alice", at(23), at(24))
    ]


def test_leave_in_a_shift_already_under_way_is_covered_from_now_on(org, clock, make_client):
    clock["now"] = at(22, 1, 12)  # Tuesday noon of carol's week 3

    make_client(org["carol"]).post(
        URL, {"start_date": "2030-01-21", "end_date": "2030-01-27"}, format="json"
    )

    # The week started: no swap; dave covers from now to the end of Sunday.
    assert holders(org["rotation"])[2] == "carol"
    assert [(o.user.username, o.start, o.end) for o in Override.objects.all()] == [
        ("dave", at(22, 1, 12), at(28))
    ]


def test_leave_imported_from_a_calendar_is_acted_on_at_once(org, make_client):
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:dentist@example.com\r\nDTSTAMP:20300101T000000Z\r\n"
        b"DTSTART;VALUE=DATE:20300123\r\nDTEND;VALUE=DATE:20300124\r\nSUMMARY:Dentist\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    response = make_client(org["carol"]).post(
        f"{URL}import/",
        {"file": SimpleUploadedFile("leave.ics", ics, content_type="text/calendar")},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert [(o.user.username, o.start, o.end) for o in Override.objects.all()] == [
        ("dave", at(23), at(24))
    ]


def test_team_leave_swaps_a_team_rotations_turn(clock):
    alpha, beta = TeamFactory(slug="alpha", name="Alpha"), TeamFactory(slug="beta", name="Beta")
    rotation = TeamRotationFactory(
        participants=[alpha, beta],
        sprint_calendar=SprintCalendarFactory(start_date=day(7)),
        start_date=day(7),
    )
    services.rotation_generate(rotation=rotation, until=day(1, 4), now=NOW)
    shifts = list(Shift.objects.filter(rotation=rotation).order_by("start"))
    assert [s.team.slug for s in shifts] == ["alpha", "beta", "alpha", "beta"]

    # Alpha is away all of its first turn (7 January 09:00 to 4 February 09:00).
    services.unavailability_create(
        team=alpha, user=None, start_date=day(7), end_date=day(3, 2), kind="leave"
    )

    assert [s.team.slug for s in Shift.objects.filter(rotation=rotation).order_by("start")] == [
        "beta",
        "alpha",
        "alpha",
        "beta",
    ]
    assert ShiftChange.objects.filter(action="leave").count() == 2
    assert set(ShiftChange.objects.values_list("note", flat=True)) == {"Alpha is on leave"}


def test_a_cover_goes_when_a_re_deal_gives_the_week_to_someone_else(org, make_client):
    make_client(org["carol"]).post(
        URL, {"start_date": "2030-01-23", "end_date": "2030-01-23"}, format="json"
    )
    assert Override.objects.count() == 1  # dave covers carol's Wednesday

    # The turn order becomes alice, bob, dave, carol: week 3 is dave's own now, carol's
    # Wednesday is no longer in a turn of hers, so the cover has nothing left to cover.
    services.rotation_set_participants(
        rotation=org["rotation"],
        participants=[org["alice"], org["bob"], org["dave"], org["carol"]],
    )

    assert holders(org["rotation"])[:4] == ["alice", "bob", "dave", "carol"]
    assert not Override.objects.exists()
