"""Generating many rotations in one batch deals the same shifts as generating each, in a fixed
number of statements whatever the number of rotations."""

import datetime

import pytest
from django.db import connection

from ownership import services as ownership_services
from rota import services
from rota.models import Override, Shift, ShiftChange
from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BEFORE_2024 = datetime.datetime(2023, 12, 1, tzinfo=UTC)
END_2024 = datetime.date(2024, 12, 31)


def _weekly(prefix, name, zone, start_date, people, team):
    return services.rotation_create(
        name=f"{prefix} {name}",
        kind="person",
        shift_length_unit="weeks",
        shift_length_count=1,
        handoff_time=datetime.time(9),
        timezone=zone,
        start_date=start_date,
        team=team,
        participants=people,
    )


def _mix(prefix: str) -> list:
    """Build, through the services, six rotations of every kind the batch must get right."""
    names = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
    alice, bob, carol, dave, erin, frank, grace, heidi = (
        UserFactory(username=f"{prefix}-{n}") for n in names
    )
    team = ownership_services.team_create(name=f"{prefix} owners", slug=f"{prefix}-owners")
    london = _weekly(
        prefix, "london", "Europe/London", datetime.date(2024, 1, 1), [erin, frank, grace], team
    )
    new_york = _weekly(
        prefix, "new-york", "America/New_York", datetime.date(2024, 1, 7), [erin, frank], team
    )
    sydney = _weekly(
        prefix, "sydney", "Australia/Sydney", datetime.date(2024, 1, 1), [grace, heidi], team
    )
    calendar = services.sprint_calendar_create(
        name=f"{prefix} sprints",
        start_date=datetime.date(2024, 1, 3),
        length_days=14,
        timezone="Europe/Berlin",
    )
    teams = [
        ownership_services.team_create(name=f"{prefix} {n}", slug=f"{prefix}-{n}")
        for n in ("alpha", "beta", "gamma")
    ]
    sprints = services.rotation_create(
        name=f"{prefix} sprints",
        kind="team",
        shift_length_unit="sprints",
        shift_length_count=2,
        sprint_calendar=calendar,
        handoff_time=datetime.time(10),
        timezone="Europe/Berlin",
        start_date=datetime.date(2024, 1, 3),
        participants=teams,
    )
    leave = _weekly(
        prefix, "leave", "Europe/London", datetime.date(2024, 1, 1), [alice, bob, carol], team
    )
    # Bob is away on Wednesday 10 January, inside his week of the "leave" rotation. (The
    # weekly rotations in three zones have other people: a cover is given to someone free in
    # every rotation, and one call per rotation sees only the rotations generated before.)
    services.unavailability_create(
        user=bob, start_date=datetime.date(2024, 1, 10), end_date=datetime.date(2024, 1, 10)
    )
    edited = _weekly(
        prefix, "edited", "Europe/London", datetime.date(2024, 1, 1), [alice, bob, carol], team
    )
    services.rotation_generate(rotation=edited, until=datetime.date(2024, 1, 21), now=BEFORE_2024)
    bobs = Shift.objects.get(rotation=edited, user=bob)  # Mon 8 .. Mon 15 January
    services.shift_update(shift=bobs, user=dave)
    return [london, new_york, sydney, sprints, leave, edited]


def _rows(prefix: str) -> list:
    """Every shift and cover of a setup, its names without the setup's prefix."""

    def name(user, team):
        return (user.username if user else team.slug).removeprefix(f"{prefix}-")

    shifts = Shift.objects.filter(rotation__name__startswith=prefix).select_related(
        "rotation", "user", "team"
    )
    covers = Override.objects.filter(rotation__name__startswith=prefix).select_related(
        "rotation", "user", "team"
    )
    return sorted(
        (kind, row.rotation.name.removeprefix(prefix), row.start, row.end, name(row.user, row.team))
        for kind, rows in (("shift", shifts), ("cover", covers))
        for row in rows
    )


def _at(rows, rotation: str, start: datetime.datetime):
    return next(r[3:] for r in rows if r[:3] == ("shift", f" {rotation}", start))


def test_a_batch_deals_the_same_shifts_and_covers_as_one_call_per_rotation():
    single, batch = _mix("one"), _mix("all")

    created_single = {
        r.name: services.rotation_generate(rotation=r, until=END_2024, now=BEFORE_2024)
        for r in single
    }
    created_batch = services.rotations_generate(rotations=batch, until=END_2024, now=BEFORE_2024)

    ones, alls = _rows("one"), _rows("all")
    assert ones == alls
    assert list(created_batch.values()) == list(created_single.values())
    assert created_batch[batch[0].pk] == 53  # Mondays 1 January .. 30 December 2024
    assert created_batch[batch[5].pk] == 50  # 53 less the 3 generated before
    # By hand:
    # london: Mon 1 Jan 09:00 GMT = 09:00 UTC, erin; week 12 (Mon 25 March, 12 % 3 = 0: erin)
    # ends Mon 1 April 09:00 BST = 08:00 UTC (167 h); week 13 (1 April) is frank's.
    march_25 = datetime.datetime(2024, 3, 25, 9, tzinfo=UTC)
    april_1 = datetime.datetime(2024, 4, 1, 8, tzinfo=UTC)
    assert _at(alls, "london", datetime.datetime(2024, 1, 1, 9, tzinfo=UTC)) == (
        datetime.datetime(2024, 1, 8, 9, tzinfo=UTC),
        "erin",
    )
    assert _at(alls, "london", march_25) == (april_1, "erin")
    assert _at(alls, "london", april_1) == (april_1 + datetime.timedelta(days=7), "frank")
    # new-york: Sundays from 7 January, 09:00 EST = 14:00 UTC; Sun 10 March (week 9, frank)
    # is the day the clocks go forward: 09:00 EDT = 13:00 UTC.
    assert _at(alls, "new-york", datetime.datetime(2024, 3, 3, 14, tzinfo=UTC)) == (
        datetime.datetime(2024, 3, 10, 13, tzinfo=UTC),
        "erin",
    )
    assert _at(alls, "new-york", datetime.datetime(2024, 3, 10, 13, tzinfo=UTC))[1] == "frank"
    # sydney: Mon 1 January 09:00 AEDT (UTC+11) = Sun 31 December 22:00 UTC, grace; Mon 8
    # April 09:00 AEST (UTC+10, from 7 April) = 23:00 UTC, week 14: grace.
    assert _at(alls, "sydney", datetime.datetime(2023, 12, 31, 22, tzinfo=UTC))[1] == "grace"
    assert _at(alls, "sydney", datetime.datetime(2024, 4, 7, 23, tzinfo=UTC))[1] == "grace"
    # sprints: two sprints of 14 days from Wed 3 January 10:00 CET = 09:00 UTC, alpha.
    assert _at(alls, "sprints", datetime.datetime(2024, 1, 3, 9, tzinfo=UTC)) == (
        datetime.datetime(2024, 1, 31, 9, tzinfo=UTC),
        "alpha",
    )
    assert _at(alls, "sprints", datetime.datetime(2024, 1, 31, 9, tzinfo=UTC))[1] == "beta"
    # leave: bob keeps his week from Mon 8 January and someone covers Wednesday 10 January,
    # midnight to midnight GMT: carol comes after him, but she covers bob's day in "edited"
    # (made when "edited" was first generated, bob's week then; the hand edit leaves it), so
    # alice does.
    assert _at(alls, "leave", datetime.datetime(2024, 1, 8, 9, tzinfo=UTC))[1] == "bob"
    wednesday = (
        datetime.datetime(2024, 1, 10, tzinfo=UTC),
        datetime.datetime(2024, 1, 11, tzinfo=UTC),
    )
    assert [r for r in alls if r[0] == "cover"] == [
        ("cover", " edited", *wednesday, "carol"),
        ("cover", " leave", *wednesday, "alice"),
    ]
    # edited: dave keeps bob's hand-edited week; the turn order goes on from bob's turn, so
    # Mon 22 January is alice's.
    assert _at(alls, "edited", datetime.datetime(2024, 1, 8, 9, tzinfo=UTC))[1] == "dave"
    assert _at(alls, "edited", datetime.datetime(2024, 1, 22, 9, tzinfo=UTC))[1] == "alice"
    edited = Shift.objects.get(
        rotation=batch[5], start=datetime.datetime(2024, 1, 8, 9, tzinfo=UTC)
    )
    assert edited.edited

    again = services.rotations_generate(rotations=batch, until=END_2024, now=BEFORE_2024)
    assert again == dict.fromkeys(again, 0) and len(again) == 6
    assert _rows("all") == alls


def _changed_midway(prefix: str):
    """A rotation generated to February, its week from 15 January deleted by hand, then given
    a fourth person: its earlier shifts set where the turn order stands, the empty week is
    dealt again, the later ones re-dealt."""
    alice, bob, carol, dave = (
        UserFactory(username=f"{prefix}-{n}") for n in ("alice", "bob", "carol", "dave")
    )
    team = ownership_services.team_create(name=f"{prefix} owners", slug=f"{prefix}-owners")
    rotation = _weekly(
        prefix, "midway", "Europe/London", datetime.date(2024, 1, 1), [alice, bob, carol], team
    )
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 2, 4), now=BEFORE_2024)
    services.rotation_set_participants(
        rotation=rotation, participants=[alice, bob, carol, dave], regenerate=False
    )
    services.shift_delete(shift=Shift.objects.get(rotation=rotation, user=carol))
    return rotation


def test_a_batch_re_deals_from_where_the_turn_order_stands_like_one_call():
    single, batch = _changed_midway("one"), _changed_midway("all")
    # Saturday 20 January: the week from Mon 15 January is in progress, and empty.
    now = datetime.datetime(2024, 1, 20, tzinfo=UTC)
    until = datetime.date(2024, 2, 18)  # through Sunday 18 February: up to the week of 12 Feb

    assert services.rotation_generate(rotation=single, until=until, now=now) == 3
    created = services.rotations_generate(rotations=[batch], until=until, now=now)

    # Before: alice 1 Jan, bob 8 Jan, nobody 15 Jan, alice 22 Jan, bob 29 Jan. The newest
    # earlier turn is bob's, so carol takes 15 January (new), dave 22 January and alice 29
    # January (both updated in place, an audit row each), bob 5 and carol 12 February (new).
    assert created == {batch.pk: 3}
    assert _rows("one") == _rows("all")
    assert [row[4] for row in _rows("all")] == [
        "alice",
        "bob",
        "carol",
        "dave",
        "alice",
        "bob",
        "carol",
    ]
    for rotation in (single, batch):
        regenerated = ShiftChange.objects.filter(
            rotation=rotation, action=ShiftChange.Action.REGENERATED
        )
        assert sorted(c.old["start"][:10] for c in regenerated) == ["2024-01-22", "2024-01-29"]


# One batch in a test's transaction, counted by hand: SAVEPOINT; the rotations locked; their
# shifts around now (future ones with open swap offers and the newest earlier ones); their
# participants; the unavailability of all their people and teams; the INSERT of the shifts;
# the rota version bump; the leave covers already over the new shifts; RELEASE = 8 + INSERTs.
BATCH = 8
# A second batch changes nothing: SAVEPOINT, lock, shifts, participants, unavailability,
# RELEASE.
BATCH_UNCHANGED = 6
THREE_WEEKS = datetime.date(2024, 1, 21)  # Mondays 1, 8 and 15 January: 3 shifts each


@pytest.mark.parametrize("count", [5, 20])
def test_a_batch_takes_the_same_statements_for_5_or_20_rotations(django_assert_num_queries, count):
    team = ownership_services.team_create(name="Owners", slug="owners")
    people = [UserFactory() for _ in range(4)]
    rotations = [
        _weekly("r", str(n), "Europe/London", datetime.date(2024, 1, 1), people[n % 2 :], team)
        for n in range(count)
    ]

    # 5 x 3 = 15 and 20 x 3 = 60 rows: one INSERT on PostgreSQL and on SQLite (which takes
    # at most 999 // 14 columns = 71 rows a statement), so 9 statements for 5 and for 20.
    with django_assert_num_queries(BATCH + 1):
        created = services.rotations_generate(
            rotations=rotations, until=THREE_WEEKS, now=BEFORE_2024
        )

    assert created == {r.pk: 3 for r in rotations}
    assert Shift.objects.count() == 3 * count
    with django_assert_num_queries(BATCH_UNCHANGED):
        again = services.rotations_generate(rotations=rotations, until=THREE_WEEKS, now=BEFORE_2024)
    assert again == {r.pk: 0 for r in rotations}


def test_a_batch_of_two_years_inserts_in_batches_and_reads_once(django_assert_num_queries):
    team = ownership_services.team_create(name="Owners", slug="owners")
    people = [UserFactory() for _ in range(3)]
    rotations = [
        _weekly("r", str(n), "Europe/London", datetime.date(2024, 1, 1), people, team)
        for n in range(5)
    ]
    # Mondays 1 January 2024 .. 29 December 2025: 105 shifts each, 525 rows; SQLite writes
    # them 71 a statement (8 INSERTs), PostgreSQL in one.
    inserts = 8 if connection.vendor == "sqlite" else 1

    with django_assert_num_queries(BATCH + inserts):
        created = services.rotations_generate(
            rotations=rotations, until=datetime.date(2025, 12, 29), now=BEFORE_2024
        )

    assert sum(created.values()) == 525 == Shift.objects.count()


def test_a_batch_generates_a_team_rotation_before_the_rotation_that_follows_it():
    alpha, beta = (
        ownership_services.team_create(
            name=n,
            slug=n,
            members=[(UserFactory(username=f"{n[0]}{i}"), "engineer") for i in (1, 2)],
        )
        for n in ("alpha", "beta")
    )
    start = datetime.date(2024, 1, 1)
    teams = services.rotation_create(
        name="teams",
        kind="team",
        shift_length_unit="weeks",
        shift_length_count=3,
        handoff_time=datetime.time(9),
        timezone="Europe/London",
        start_date=start,
        participants=[alpha, beta],
    )
    oncall = services.rotation_create(
        name="on call",
        kind="person",
        shift_length_unit="weeks",
        shift_length_count=1,
        handoff_time=datetime.time(9),
        timezone="Europe/London",
        start_date=start,
        follows_team_rotation=teams,
    )

    # The follower first in the list: the team rotation is still generated before it.
    created = services.rotations_generate(
        rotations=[oncall, teams], until=datetime.date(2024, 2, 25), now=BEFORE_2024
    )

    # Three-week team turns from Mon 1 January: alpha, beta, alpha (to Mon 4 March). Each
    # team's members in username order take the weeks, going on where they stopped.
    who = [s.user.username for s in Shift.objects.filter(rotation=oncall).order_by("start")]
    assert who == ["a1", "a2", "a1", "b1", "b2", "b1", "a2", "a1"]
    assert created == {teams.pk: 3, oncall.pk: 8}
