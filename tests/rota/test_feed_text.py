"""The feed's text and contact rules, composed from plain data (no database).

Every expected string was worked out on paper: 2030-01-07 is a Monday, Berlin is on CET
(UTC+1) in January, so 08:00 UTC shows as 09:00 CET.
"""

import datetime

from rota.feed_text import DutyPart, DutyRotation, DutyRow, Holder, compose_events, names

UTC = datetime.UTC
HOST = "rota.example"
LINK = "https://rota.example/teams/payments/"
ALICE = Holder((1, None), "Alice Martin", "alice@example.com")
BOB = Holder((2, None), "Bob Stone", "bob@example.com")
PAYMENTS = Holder((None, 7), "Payments")
PLATFORM = Holder((None, 8), "Platform")
ON_CALL = DutyRotation(
    id=1,
    name="Payments on call",
    is_team=False,
    kind_label="person",
    role_label="primary",
    timezone="Europe/Berlin",
    team_name="Payments",
    team_slug="payments",
)
ROTATION_LINE = "Rotation: Payments on call (person, primary)"


def at(day, hour=8):
    return datetime.datetime(2030, 1, day, hour, tzinfo=UTC)


def row(id, holder, start, end, **extra):
    return DutyRow(
        id=id,
        rotation_id=extra.pop("rotation_id", 1),
        start=start,
        end=end,
        holder=holder,
        sequence=extra.pop("sequence", 0),
        updated_at=at(1),
        created_at=at(1),
        link=LINK,
        **extra,
    )


def cover_week(*, personal, cover_shown):
    """Alice's week (7th to 14th) with Bob covering the 9th to the 10th for a dentist."""
    shift = row(10, ALICE, at(7), at(14))
    cover = row(20, BOB, at(9), at(10), reason="Dentist", shown=cover_shown)
    schedule = {
        1: [
            DutyPart(at(7), at(9), "shift-10", ALICE),
            DutyPart(at(9), at(10), "override-20", BOB),
            DutyPart(at(10), at(14), "shift-10", ALICE),
        ]
    }
    return compose_events(
        rotations=[ON_CALL],
        shifts=[shift],
        overrides=[cover],
        schedule=schedule,
        personal=personal,
        host=HOST,
    )


COVER_LINE = "Covered by Bob Stone from Wed 09 Jan 2030 09:00 CET to Thu 10 Jan 2030 09:00 CET"
WEEK = "the shift from Mon 07 Jan 2030 09:00 CET to Mon 14 Jan 2030 09:00 CET"


def test_own_feed_cuts_the_shift_around_the_cover_and_names_the_handover_contacts():
    first, second = cover_week(personal=True, cover_shown=False)
    assert (first.uid, first.start, first.end) == ("shift-10@rota.example", at(7), at(9))
    assert (second.uid, second.start, second.end) == ("shift-10-2@rota.example", at(10), at(14))
    assert first.summary == second.summary == "On call: Payments on call (primary)"
    assert first.description.split("\n") == [
        ROTATION_LINE,
        "Team: Payments",
        "On duty: Alice Martin",
        "From Mon 07 Jan 2030 09:00 CET to Wed 09 Jan 2030 09:00 CET",
        f"Part 1 of 2 of {WEEK}",
        "Hands over to: Bob Stone <bob@example.com>",
        COVER_LINE,
        LINK,
    ]
    assert second.description.split("\n") == [
        ROTATION_LINE,
        "Team: Payments",
        "On duty: Alice Martin",
        "From Thu 10 Jan 2030 09:00 CET to Mon 14 Jan 2030 09:00 CET",
        f"Part 2 of 2 of {WEEK}",
        "Takes over from: Bob Stone <bob@example.com>",
        COVER_LINE,
        LINK,
    ]
    assert first.categories == ("On call",) and first.url == LINK


def test_a_shared_feed_names_nobodys_address_and_shows_the_cover_from_the_coverer():
    events = cover_week(personal=False, cover_shown=True)
    assert [e.uid for e in events] == [
        "shift-10@rota.example",
        "override-20@rota.example",
        "shift-10-2@rota.example",
    ]
    shift, cover, _ = events
    assert shift.summary == "Alice Martin on call (primary)"
    assert "Hands over to" not in shift.description
    assert "@example.com" not in "".join(e.description for e in events)
    assert cover.summary == "Bob Stone covering Alice Martin — Payments on call (team payments)"
    assert cover.categories == ("Cover",)
    assert cover.description.split("\n") == [
        ROTATION_LINE,
        "Team: Payments",
        "Cover by: Bob Stone",
        "Covering for: Alice Martin",
        "From Wed 09 Jan 2030 09:00 CET to Thu 10 Jan 2030 09:00 CET",
        "Reason: Dentist",
        LINK,
    ]


def test_a_shift_covered_in_full_stays_as_a_cancelled_event_under_its_uid():
    shift = row(11, ALICE, at(14), at(21), sequence=3)
    cover = row(21, BOB, at(14), at(21), shown=False)
    (event,) = compose_events(
        rotations=[ON_CALL],
        shifts=[shift],
        overrides=[cover],
        schedule={1: [DutyPart(at(14), at(21), "override-21", BOB)]},
        personal=True,
        host=HOST,
        sequence_offset=2,
    )
    assert (event.uid, event.status, event.sequence) == ("shift-11@rota.example", "CANCELLED", 5)
    assert event.summary == "Covered: On call: Payments on call (primary)"
    assert event.description.split("\n") == [
        ROTATION_LINE,
        "Team: Payments",
        "Planned for Alice Martin from Mon 14 Jan 2030 09:00 CET to Mon 21 Jan 2030 09:00 CET",
        "Covered by Bob Stone from Mon 14 Jan 2030 09:00 CET to Mon 21 Jan 2030 09:00 CET",
        "Covered in full: not on duty.",
        LINK,
    ]


def test_team_support_in_a_persons_feed_is_marked_and_a_team_cover_names_the_team():
    turns = DutyRotation(
        id=2,
        name="Support turns",
        is_team=True,
        kind_label="team",
        role_label="primary",
        timezone="UTC",
    )
    shift = row(12, PAYMENTS, at(7), at(14), rotation_id=2, team_name="Payments", busy=True)
    cover = row(22, PLATFORM, at(14), at(15), rotation_id=2, team_name="Platform")
    schedule = {
        2: [
            DutyPart(at(7), at(14), "shift-12", PAYMENTS),
            DutyPart(at(14), at(15), "override-22", PLATFORM),
            DutyPart(at(15), at(21), "shift-13", PAYMENTS),
        ]
    }
    duty, covered, _ = compose_events(
        rotations=[turns],
        shifts=[shift, row(13, PAYMENTS, at(14), at(21), rotation_id=2, team_name="Payments")],
        overrides=[cover],
        schedule=schedule,
        personal=True,
        host=HOST,
    )
    assert duty.summary == "[Team support] Payments on support"
    assert (duty.categories, duty.busy, duty.timezone) == (("Team support",), True, "UTC")
    # A team has no address: the hand-over names the team alone. No team line: no team.
    assert duty.description.split("\n") == [
        "Rotation: Support turns (team, primary)",
        "On duty: Payments",
        "From Mon 07 Jan 2030 08:00 UTC to Mon 14 Jan 2030 08:00 UTC",
        "Hands over to: Platform",
        LINK,
    ]
    # The cover, from the 14th 08:00 to 09:00, lies within Payments' next shift (13).
    assert covered.summary == "[Team support] Platform covering Payments — Support turns"


def test_names_are_joined_as_people_write_them():
    assert names([]) == ""
    assert names(["Alice"]) == "Alice"
    assert names(["Alice", "Bob"]) == "Alice and Bob"
    assert names(["Alice", "Bob", "Carol"]) == "Alice, Bob and Carol"
