"""Feeds show the final schedule: covered time is the coverer's, not the shift holder's.

The organisation: team Payments (Europe/Berlin) runs the weekly rotation "Payments on call"
(handoffs at 09:00 Berlin time). Alice holds the week of Sat 26 Oct 2024 09:00 CEST (07:00 UTC)
to Sat 2 Nov 09:00 CET (08:00 UTC), across the end of summer time on Sun 27 Oct; bob the week
after; dave the week after that. Carol covers for them. Feeds are rendered as of Fri 25 Oct
2024 12:00 UTC. Covers are made through the rota services, as the API and the admin make them.
"""

import datetime
import zoneinfo
from unittest import mock

import icalendar
import pytest
from django.utils import timezone

from rota import services
from rota.feeds import build_feed
from rota.models import Rotation
from rota.selectors.feeds import feed_build, feed_state
from rota.services.feeds import feed_token_get_or_create, feed_token_string
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = datetime.datetime(2024, 10, 25, 12, tzinfo=UTC)


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def org():
    team = TeamFactory(name="Payments", slug="payments", timezone="Europe/Berlin")
    people = {
        name: MembershipFactory(
            team=team, user=UserFactory(username=name, first_name=name.title(), last_name="X")
        ).user
        for name in ("alice", "bob", "carol", "dave")
    }
    rotation = RotationFactory(
        name="Payments on call", team=team, timezone="Europe/Berlin", participants=[]
    )
    shifts = {
        "alice": ShiftFactory(
            rotation=rotation,
            user=people["alice"],
            start=at(2024, 10, 26, 7),
            end=at(2024, 11, 2, 8),
        ),
        "bob": ShiftFactory(
            rotation=rotation, user=people["bob"], start=at(2024, 11, 2, 8), end=at(2024, 11, 9, 8)
        ),
        "dave": ShiftFactory(
            rotation=rotation,
            user=people["dave"],
            start=at(2024, 11, 9, 8),
            end=at(2024, 11, 16, 8),
        ),
    }
    return team, rotation, people, shifts


def render(token):
    body = build_feed(feed_build(state=feed_state(token=token, now=NOW)))
    return icalendar.Calendar.from_ical(body)


def events(token):
    """Return {UID: (DTSTART, DTEND, SEQUENCE, STATUS, SUMMARY, DESCRIPTION)} of a feed."""
    return {
        str(e["UID"]): (
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            int(e["SEQUENCE"]),
            str(e["STATUS"]),
            str(e["SUMMARY"]),
            str(e["DESCRIPTION"]),
        )
        for e in render(token).walk("VEVENT")
    }


def times(found):
    """Return {UID: (start UTC, end UTC, SEQUENCE, STATUS)}."""
    return {
        uid: (start.astimezone(UTC), end.astimezone(UTC), seq, status)
        for uid, (start, end, seq, status, _, _) in found.items()
    }


def test_a_partly_covered_shift_is_split_with_stable_uids_and_a_higher_sequence(org):
    team, rotation, people, shifts = org
    alice_shift = shifts["alice"].pk
    token = feed_token_get_or_create(user=people["alice"])
    first, second = events(token), events(token)
    assert first == second  # two renders of an unchanged rota are identical
    assert times(first) == {
        f"shift-{alice_shift}@localhost": (at(2024, 10, 26, 7), at(2024, 11, 2, 8), 0, "CONFIRMED")
    }

    # Carol covers Mon 28 Oct 09:00 CET (08:00 UTC) to Tue 29 Oct 09:00 CET. Alice's feed now
    # has two parts: the first keeps the shift's UID, the second is "-2"; both SEQUENCE 1.
    services.override_create(
        rotation=rotation, user=people["carol"], start=at(2024, 10, 28, 8), end=at(2024, 10, 29, 8)
    )
    after = events(token)
    assert times(after) == {
        f"shift-{alice_shift}@localhost": (
            at(2024, 10, 26, 7),
            at(2024, 10, 28, 8),
            1,
            "CONFIRMED",
        ),
        f"shift-{alice_shift}-2@localhost": (
            at(2024, 10, 29, 8),
            at(2024, 11, 2, 8),
            1,
            "CONFIRMED",
        ),
    }
    assert events(token) == after  # and stable from then on
    start, end, *_ = after[f"shift-{alice_shift}@localhost"]
    # In Berlin time: Sat 09:00 CEST to Mon 09:00 CET, across the change of offset.
    assert (start.astimezone(BERLIN).hour, start.utcoffset()) == (9, datetime.timedelta(hours=2))
    assert (end.astimezone(BERLIN).hour, end.utcoffset()) == (9, datetime.timedelta(hours=1))
    description = after[f"shift-{alice_shift}-2@localhost"][5]
    assert "Covered by Carol X from Mon 28 Oct 2024 09:00 CET to Tue 29 Oct 2024 09:00 CET" in (
        description
    )
    assert "Takes over from: Carol X <carol@example.com>" in description
    assert "Hands over to: Bob X <bob@example.com>" in description
    assert "Part 2 of 2 of the shift from Sat 26 Oct 2024 09:00 CEST" in description


def test_the_cover_is_in_the_coverers_feed_with_rotation_team_whom_and_a_link(org):
    team, rotation, people, shifts = org
    override = services.override_create(
        rotation=rotation,
        user=people["carol"],
        start=at(2024, 10, 28, 8),
        end=at(2024, 10, 29, 8),
        reason="Alice at a wedding",
    )
    found = events(feed_token_get_or_create(user=people["carol"]))
    assert times(found) == {
        f"override-{override.pk}@localhost": (
            at(2024, 10, 28, 8),
            at(2024, 10, 29, 8),
            0,
            "CONFIRMED",
        )
    }
    _, _, _, _, summary, description = found[f"override-{override.pk}@localhost"]
    # Whom carol covers, where, with the team's slug; the link is the description's last line.
    assert summary == "Covering Alice X — Payments on call (team payments)"
    for line in (
        "Rotation: Payments on call (people take turns, primary)",
        "Team: Payments",
        "Cover by: Carol X",
        "Covering for: Alice X",
        "Reason: Alice at a wedding",
        "From Mon 28 Oct 2024 09:00 CET to Tue 29 Oct 2024 09:00 CET",
        "Takes over from: Alice X <alice@example.com>",
        "http://localhost:8000/teams/payments/",
    ):
        assert line in description.splitlines()


def test_a_shift_covered_in_full_is_published_cancelled_and_comes_back_when_the_cover_goes(org):
    team, rotation, people, shifts = org
    dave_shift = shifts["dave"].pk
    token = feed_token_get_or_create(user=people["dave"])
    uid = f"shift-{dave_shift}@localhost"
    assert times(events(token)) == {uid: (at(2024, 11, 9, 8), at(2024, 11, 16, 8), 0, "CONFIRMED")}

    # Carol covers all of dave's week: the event stays under its UID, cancelled, SEQUENCE 1.
    override = services.override_create(
        rotation=rotation, user=people["carol"], start=at(2024, 11, 9, 8), end=at(2024, 11, 16, 8)
    )
    found = events(token)
    assert times(found) == {uid: (at(2024, 11, 9, 8), at(2024, 11, 16, 8), 1, "CANCELLED")}
    assert found[uid][4] == "Covered: On call: Payments on call (primary)"
    # Editing the cover (it now starts a day later) gives dave his first day back: SEQUENCE 2.
    services.override_update(override=override, start=at(2024, 11, 10, 8))
    assert times(events(token)) == {uid: (at(2024, 11, 9, 8), at(2024, 11, 10, 8), 2, "CONFIRMED")}
    # Deleting it gives the whole week back: SEQUENCE 3, never lower than before.
    services.override_delete(override=override)
    assert times(events(token)) == {uid: (at(2024, 11, 9, 8), at(2024, 11, 16, 8), 3, "CONFIRMED")}


def test_rotation_and_team_feeds_show_who_is_actually_on_duty(org):
    team, rotation, people, shifts = org
    carol = people["carol"]
    covering = services.override_create(
        rotation=rotation, user=carol, start=at(2024, 10, 28, 8), end=at(2024, 10, 29, 8)
    )
    whole = services.override_create(
        rotation=rotation, user=carol, start=at(2024, 11, 9, 8), end=at(2024, 11, 16, 8)
    )
    alice, bob, dave = (shifts[name].pk for name in ("alice", "bob", "dave"))
    expected = {
        f"shift-{alice}@localhost": (at(2024, 10, 26, 7), at(2024, 10, 28, 8), 1, "CONFIRMED"),
        f"override-{covering.pk}@localhost": (
            at(2024, 10, 28, 8),
            at(2024, 10, 29, 8),
            0,
            "CONFIRMED",
        ),
        f"shift-{alice}-2@localhost": (at(2024, 10, 29, 8), at(2024, 11, 2, 8), 1, "CONFIRMED"),
        f"shift-{bob}@localhost": (at(2024, 11, 2, 8), at(2024, 11, 9, 8), 0, "CONFIRMED"),
        f"shift-{dave}@localhost": (at(2024, 11, 9, 8), at(2024, 11, 16, 8), 1, "CANCELLED"),
        f"override-{whole.pk}@localhost": (at(2024, 11, 9, 8), at(2024, 11, 16, 8), 0, "CONFIRMED"),
    }
    viewer = UserFactory()
    for token in (
        feed_token_get_or_create(user=viewer, kind="rotation", rotation=rotation),
        feed_token_get_or_create(user=viewer, kind="team", team=team),
    ):
        found = events(token)
        assert times(found) == expected
        summaries = {uid: row[4] for uid, row in found.items()}
        assert (
            summaries[f"override-{covering.pk}@localhost"]
            == "Carol X covering Alice X — Payments on call (team payments)"
        )
        assert summaries[f"override-{whole.pk}@localhost"] == (
            "Carol X covering Dave X — Payments on call (team payments)"
        )
        assert summaries[f"shift-{alice}-2@localhost"] == "Alice X on call (primary)"
        # Shared feeds carry no e-mail addresses.
        assert all("@example.com" not in row[5] for row in found.values())


def test_a_business_hours_rotation_shows_the_hours_on_duty(org):
    # A business-hours rotation (09:00-17:00 Berlin, Monday to Friday): Erin's week from Mon 4
    # Nov 09:00 CET (08:00 UTC) to Mon 11 Nov 09:00 CET is five events, 08:00-16:00 UTC each
    # weekday, the first under the shift's UID.
    team, _, people, _ = org
    erin = MembershipFactory(team=team, user=UserFactory(username="erin")).user
    rotation = RotationFactory(
        team=team, timezone="Europe/Berlin", restriction=Rotation.Restriction.BUSINESS_HOURS
    )
    shift = ShiftFactory(rotation=rotation, user=erin, start=at(2024, 11, 4, 8))
    found = times(events(feed_token_get_or_create(user=erin)))
    assert found == {
        (f"shift-{shift.pk}@localhost" if day == 4 else f"shift-{shift.pk}-{day - 3}@localhost"): (
            at(2024, 11, day, 8),
            at(2024, 11, day, 16),
            0,
            "CONFIRMED",
        )
        for day in range(4, 9)
    }


def test_changing_a_rotations_hours_splits_its_events_with_a_higher_sequence(org):
    # Restricting the rotation to business hours (09:00-17:00 Berlin) cuts bob's week, Sat 2
    # Nov 08:00 UTC to Sat 9 Nov 08:00 UTC, into Mon 4 to Fri 8 Nov, 08:00-16:00 UTC. The
    # first weekday keeps the shift's UID; every part has SEQUENCE 1, as the shift moved.
    team, rotation, people, shifts = org
    bob = shifts["bob"].pk
    token = feed_token_get_or_create(user=people["bob"])
    assert times(events(token)) == {
        f"shift-{bob}@localhost": (at(2024, 11, 2, 8), at(2024, 11, 9, 8), 0, "CONFIRMED")
    }
    with mock.patch("rota.services.rotations.timezone.now", return_value=NOW):
        services.rotation_update(
            rotation=rotation, restriction=Rotation.Restriction.BUSINESS_HOURS, regenerate=False
        )
    assert times(events(token)) == {
        (f"shift-{bob}@localhost" if day == 4 else f"shift-{bob}-{day - 3}@localhost"): (
            at(2024, 11, day, 8),
            at(2024, 11, day, 16),
            1,
            "CONFIRMED",
        )
        for day in range(4, 9)
    }


def test_a_team_support_shift_covered_by_another_team_leaves_the_members_feeds(org):
    # Team rotation "Support": Payments holds Sat 26 Oct 07:00 UTC to Sat 9 Nov 08:00 UTC;
    # Search covers Mon 28 Oct 08:00 UTC to Mon 4 Nov 08:00 UTC. Alice (Payments) sees two
    # parts of the support shift; sam (Search) sees the cover.
    team, _, people, _ = org
    search = TeamFactory(name="Search", timezone="Europe/Berlin")
    sam = MembershipFactory(team=search, user=UserFactory(username="sam")).user
    from .factories import TeamRotationFactory

    support = TeamRotationFactory(name="Support", timezone="Europe/Berlin", participants=[])
    shift = ShiftFactory(
        rotation=support, user=None, team=team, start=at(2024, 10, 26, 7), end=at(2024, 11, 9, 8)
    )
    cover = services.override_create(
        rotation=support, team=search, start=at(2024, 10, 28, 8), end=at(2024, 11, 4, 8)
    )
    mine = {
        uid: row
        for uid, row in times(events(feed_token_get_or_create(user=people["alice"]))).items()
        if uid.startswith(f"shift-{shift.pk}")
    }
    assert mine == {
        f"shift-{shift.pk}@localhost": (at(2024, 10, 26, 7), at(2024, 10, 28, 8), 1, "CONFIRMED"),
        f"shift-{shift.pk}-2@localhost": (at(2024, 11, 4, 8), at(2024, 11, 9, 8), 1, "CONFIRMED"),
    }
    theirs = events(feed_token_get_or_create(user=sam))
    assert times(theirs) == {
        f"override-{cover.pk}@localhost": (at(2024, 10, 28, 8), at(2024, 11, 4, 8), 0, "CONFIRMED")
    }
    # A team rotation belongs to no team: no "(team ...)".
    assert theirs[f"override-{cover.pk}@localhost"][4] == (
        "[Team support] Search covering Payments — Support"
    )
    assert "Covering for: Payments" in theirs[f"override-{cover.pk}@localhost"][5]


# --- Over HTTP: conditional GET notices covers --------------------------------------------


def test_the_etag_changes_when_a_cover_is_added_edited_or_removed(client):
    # A weekly shift of alice from next Monday; each change to a cover over it must answer
    # 200 with a new ETag to a client that holds the previous one, never 304.
    alice, carol = UserFactory(username="alice"), UserFactory(username="carol")
    rotation = RotationFactory(participants=[alice, carol])
    start = (timezone.now() + datetime.timedelta(days=7)).replace(microsecond=0)
    shift = ShiftFactory(rotation=rotation, user=alice, start=start)
    url = f"/calendar/{feed_token_string(feed_token_get_or_create(user=alice))}.ics"

    def get(etag=None):
        response = client.get(url, HTTP_IF_NONE_MATCH=etag) if etag else client.get(url)
        return response

    first = get()
    etag = first["ETag"]
    assert get(etag).status_code == 304

    hour = datetime.timedelta(hours=1)
    override = services.override_create(
        rotation=rotation, user=carol, start=start + hour, end=start + 2 * hour
    )
    covered = get(etag)
    assert covered.status_code == 200 and covered["ETag"] != etag
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(covered.content).walk("VEVENT")]
    assert sorted(uids) == [f"shift-{shift.pk}-2@localhost", f"shift-{shift.pk}@localhost"]

    services.override_update(override=override, end=start + 3 * hour)
    edited = get(covered["ETag"])
    assert edited.status_code == 200 and edited["ETag"] not in (etag, covered["ETag"])

    services.override_delete(override=override)
    removed = get(edited["ETag"])
    assert removed.status_code == 200
    events_ = icalendar.Calendar.from_ical(removed.content).walk("VEVENT")
    assert [(str(e["UID"]), int(e["SEQUENCE"])) for e in events_] == [
        (f"shift-{shift.pk}@localhost", 3)
    ]
