import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rota import services
from rota.models import Override, Rotation, Shift, ShiftChange
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import (
    RotationFactory,
    SprintCalendarFactory,
    TeamRotationFactory,
    UnavailabilityFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BEFORE_2024 = datetime.datetime(2023, 12, 1, tzinfo=UTC)


def shifts_of(rotation):
    return list(Shift.objects.filter(rotation=rotation).order_by("start"))


def who(shifts):
    return [s.user.username if s.user else s.team.slug for s in shifts]


def test_team_rotation_of_two_sprint_shifts_lines_up_with_sprint_boundaries_for_a_year():
    calendar = SprintCalendarFactory(start_date=datetime.date(2024, 1, 3), timezone="Europe/Berlin")
    teams = [TeamFactory(slug=slug) for slug in ("alpha", "beta", "gamma")]
    rotation = TeamRotationFactory(
        sprint_calendar=calendar,
        start_date=datetime.date(2024, 1, 3),
        handoff_time=datetime.time(10, 0),
        timezone="Europe/Berlin",
        participants=teams,
    )

    created = services.rotation_generate(
        rotation=rotation, until=datetime.date(2024, 12, 31), now=BEFORE_2024
    )

    shifts = shifts_of(rotation)
    assert created == len(shifts) == 13  # 13 shifts of 28 days reach 2025-01-01
    berlin = ZoneInfo("Europe/Berlin")
    for number, shift in enumerate(shifts):
        local_start = shift.start.astimezone(berlin)
        assert local_start.date() == calendar.sprint_start(2 * number)
        assert local_start.time() == datetime.time(10, 0)
        assert shift.end.astimezone(berlin).date() == calendar.sprint_start(2 * number + 2)
    assert all(a.end == b.start for a, b in zip(shifts, shifts[1:], strict=False))
    assert who(shifts[:6]) == ["alpha", "beta", "gamma", "alpha", "beta", "gamma"]
    assert shifts[-1].end > datetime.datetime(2025, 1, 1, tzinfo=UTC)


def test_team_rotation_starting_mid_sprint_begins_at_the_next_sprint():
    calendar = SprintCalendarFactory(start_date=datetime.date(2024, 1, 1), timezone="UTC")
    rotation = TeamRotationFactory(
        sprint_calendar=calendar,
        start_date=datetime.date(2024, 1, 5),
        timezone="UTC",
        participants=[TeamFactory(), TeamFactory()],
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 3, 1), now=BEFORE_2024)

    first = shifts_of(rotation)[0]
    assert first.start == datetime.datetime(2024, 1, 15, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        ("America/New_York", datetime.date(2024, 3, 10), datetime.date(2024, 11, 3)),
        ("Europe/London", datetime.date(2024, 3, 31), datetime.date(2024, 10, 27)),
        ("Australia/Sydney", datetime.date(2024, 10, 6), datetime.date(2024, 4, 7)),
        ("Australia/Adelaide", datetime.date(2024, 10, 6), datetime.date(2024, 4, 7)),
        ("America/St_Johns", datetime.date(2024, 3, 10), datetime.date(2024, 11, 3)),
    ],
)
def test_weekly_rotation_hands_off_at_the_same_local_time_across_dst(zone, spring, autumn):
    people = [UserFactory() for _ in range(3)]
    rotation = RotationFactory(
        timezone=zone,
        start_date=datetime.date(2024, 1, 7),  # a Sunday, like the DST changes above
        handoff_time=datetime.time(9, 0),
        participants=people,
    )

    services.rotation_generate(
        rotation=rotation, until=datetime.date(2024, 12, 31), now=BEFORE_2024
    )

    tz = ZoneInfo(zone)
    shifts = shifts_of(rotation)
    assert all(a.end == b.start for a, b in zip(shifts, shifts[1:], strict=False))
    assert {s.start.astimezone(tz).time() for s in shifts} == {datetime.time(9, 0)}
    assert {s.start.astimezone(tz).weekday() for s in shifts} == {6}
    hours = {
        s.start.astimezone(tz).date(): (s.end - s.start).total_seconds() / 3600 for s in shifts
    }
    week = datetime.timedelta(days=7)
    assert hours[spring - week] == 167  # the week in which the clocks go forward
    assert hours[autumn - week] == 169  # the week in which they go back
    assert hours[datetime.date(2024, 1, 7)] == 168


def test_handoff_inside_the_spring_forward_gap_happens_when_the_clocks_jump():
    rotation = RotationFactory(
        timezone="America/New_York",
        shift_length_unit=Rotation.Unit.DAYS,
        start_date=datetime.date(2024, 3, 8),
        handoff_time=datetime.time(2, 30),
        participants=[UserFactory(), UserFactory()],
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 3, 11), now=BEFORE_2024)

    starts = [s.start for s in shifts_of(rotation)]
    assert starts[:4] == [
        datetime.datetime(2024, 3, 8, 7, 30, tzinfo=UTC),  # 02:30 EST
        datetime.datetime(2024, 3, 9, 7, 30, tzinfo=UTC),
        datetime.datetime(2024, 3, 10, 7, 0, tzinfo=UTC),  # 02:30 does not exist: 03:00 EDT
        datetime.datetime(2024, 3, 11, 6, 30, tzinfo=UTC),  # 02:30 EDT
    ]


def test_ambiguous_handoff_in_the_fall_back_hour_takes_the_first_occurrence():
    rotation = RotationFactory(
        timezone="America/New_York",
        shift_length_unit=Rotation.Unit.DAYS,
        start_date=datetime.date(2024, 11, 2),
        handoff_time=datetime.time(1, 30),
        participants=[UserFactory(), UserFactory()],
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 11, 4), now=BEFORE_2024)

    shifts = shifts_of(rotation)
    assert shifts[1].start == datetime.datetime(2024, 11, 3, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert shifts[1].end == datetime.datetime(2024, 11, 4, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert shifts[1].end - shifts[1].start == datetime.timedelta(hours=25)


def test_hourly_rotation_stays_contiguous_through_the_spring_forward_gap():
    rotation = RotationFactory(
        timezone="Europe/London",
        shift_length_unit=Rotation.Unit.HOURS,
        shift_length_count=1,
        start_date=datetime.date(2024, 3, 30),
        handoff_time=datetime.time(22, 0),
        participants=[UserFactory(), UserFactory()],
    )

    services.rotation_generate(
        rotation=rotation, until=datetime.datetime(2024, 3, 31, 4, tzinfo=UTC), now=BEFORE_2024
    )

    shifts = shifts_of(rotation)
    assert all(a.end == b.start for a, b in zip(shifts, shifts[1:], strict=False))
    assert all(s.end > s.start for s in shifts)
    # 00:00 and 01:00 GMT, then straight to 02:00 BST (01:00 UTC): the 01:00 local turn is gone.
    assert datetime.datetime(2024, 3, 31, 1, tzinfo=UTC) in [s.start for s in shifts]


def test_hand_edited_shifts_survive_regeneration():
    alice, bob, carol, dave = (UserFactory(username=n) for n in ("alice", "bob", "carol", "dave"))
    rotation = RotationFactory(participants=[alice, bob, carol])
    now = datetime.datetime(2023, 12, 20, tzinfo=UTC)
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 3, 1), now=now)
    edited = shifts_of(rotation)[2]
    services.shift_update(shift=edited, user=dave, by=alice)

    services.rotation_set_participants(
        rotation=rotation, participants=[carol, bob, alice], regenerate=False
    )
    services.rotation_regenerate(rotation=rotation, until=datetime.date(2024, 3, 1), now=now)

    shifts = shifts_of(rotation)
    kept = next(s for s in shifts if s.pk == edited.pk)
    assert (kept.user, kept.start, kept.end, kept.edited) == (dave, edited.start, edited.end, True)
    assert all(a.end == b.start for a, b in zip(shifts, shifts[1:], strict=False))
    assert who(shifts)[:2] == ["carol", "bob"]


def test_a_day_of_leave_keeps_the_turn_and_gets_a_cover_for_that_day():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    rotation = RotationFactory(participants=[alice, bob, carol])
    # Bob is away for one day of his week (2024-01-08 09:00 .. 2024-01-15 09:00 London).
    UnavailabilityFactory(
        user=bob, start_date=datetime.date(2024, 1, 10), end_date=datetime.date(2024, 1, 10)
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 2, 4), now=BEFORE_2024)

    # The turn order is untouched; carol (next after bob) covers Wednesday 10 January, which
    # is midnight to midnight GMT (= UTC in January).
    assert who(shifts_of(rotation)) == ["alice", "bob", "carol", "alice", "bob"]
    assert [(o.user, o.start, o.end, o.reason) for o in Override.objects.all()] == [
        (
            carol,
            datetime.datetime(2024, 1, 10, tzinfo=UTC),
            datetime.datetime(2024, 1, 11, tzinfo=UTC),
            f"{bob.get_full_name()} is on leave",
        )
    ]


def test_a_whole_turn_of_leave_swaps_two_turns_and_keeps_the_rest():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    rotation = RotationFactory(participants=[alice, bob, carol])
    # Bob is away all of his week (Mon 8 .. Mon 15 January 09:00; Monday to Sunday counts as
    # the whole week): carol takes it and bob takes carol's week; then the order is as before.
    UnavailabilityFactory(
        user=bob, start_date=datetime.date(2024, 1, 8), end_date=datetime.date(2024, 1, 14)
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 2, 11), now=BEFORE_2024)

    assert who(shifts_of(rotation)) == ["alice", "carol", "bob", "alice", "bob", "carol"]
    assert not Override.objects.exists()


def test_nobody_is_dealt_a_third_turn_in_a_row_next_to_kept_shifts():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    rotation = RotationFactory(participants=[alice, bob, carol])
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 2, 4), now=BEFORE_2024)
    # alice, bob, carol, alice, bob; weeks 2 and 3 are handed to alice by hand (kept).
    first, second, third, *_ = shifts_of(rotation)
    services.shift_update(shift=second, user=alice)
    services.shift_update(shift=third, user=alice)

    services.rotation_regenerate(
        rotation=rotation, until=datetime.date(2024, 2, 4), now=BEFORE_2024
    )

    # Weeks 1 and 4 are alice's turns, but each would make a third week in a row next to
    # the kept weeks 2 and 3: bob, next in turn and free, takes both; week 5 (bob's turn)
    # goes to alice, whose turn was passed over. The kept weeks stay as they are.
    assert who(shifts_of(rotation)) == ["bob", "alice", "alice", "bob", "alice"]


def test_when_everyone_is_away_the_turn_is_assigned_anyway_and_reported():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    rotation = RotationFactory(participants=[alice, bob])
    for person in (alice, bob):  # both away all of the first week
        UnavailabilityFactory(
            user=person, start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 1, 8)
        )

    result = services.rotation_regenerate(
        rotation=rotation, until=datetime.date(2024, 1, 14), now=BEFORE_2024
    )

    assert who(shifts_of(rotation)) == ["alice", "bob"]
    assert [(c.start.date(), c.key) for c in result.conflicts] == [
        (datetime.date(2024, 1, 1), ("user", alice.pk))
    ]


def test_team_leave_skips_the_team_in_a_team_rotation():
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    rotation = TeamRotationFactory(participants=[alpha, beta])
    UnavailabilityFactory(
        user=None,
        team=alpha,
        start_date=datetime.date(2024, 1, 2),
        end_date=datetime.date(2024, 1, 5),
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 3, 20), now=BEFORE_2024)

    # Four days of a four-week turn: alpha keeps it and beta covers 2..5 January.
    assert who(shifts_of(rotation)) == ["alpha", "beta", "alpha"]
    assert [(o.team, o.start.date(), o.end.date()) for o in Override.objects.all()] == [
        (beta, datetime.date(2024, 1, 2), datetime.date(2024, 1, 6))
    ]


def test_team_leave_of_a_whole_turn_swaps_it_in_a_team_rotation():
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    rotation = TeamRotationFactory(participants=[alpha, beta])
    UnavailabilityFactory(
        user=None,
        team=alpha,
        start_date=datetime.date(2023, 12, 31),
        end_date=datetime.date(2024, 1, 29),
    )

    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 3, 20), now=BEFORE_2024)

    # Alpha is away for all of the first turn (1 .. 29 January): the first two turns are
    # swapped, the third is alpha's as before.
    assert who(shifts_of(rotation)) == ["beta", "alpha", "alpha"]


def test_adding_a_participant_changes_only_future_unedited_shifts():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    rotation = RotationFactory(participants=[alice, bob])
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 3, 1), now=BEFORE_2024)
    before = {s.pk: (s.start, s.user_id) for s in shifts_of(rotation)}
    later = datetime.datetime(2024, 1, 20, tzinfo=UTC)  # third week (bob) is in progress

    services.rotation_set_participants(
        rotation=rotation, participants=[alice, bob, carol], regenerate=False
    )
    result = services.rotation_regenerate(
        rotation=rotation, until=datetime.date(2024, 3, 1), now=later
    )

    shifts = shifts_of(rotation)
    past = [s for s in shifts if s.start < later]
    assert [(s.pk, (s.start, s.user_id)) for s in past] == [
        (pk, value) for pk, value in before.items() if value[0] < later
    ]
    assert who(shifts) == [
        "alice",
        "bob",
        "alice",
        "bob",
        "carol",
        "alice",
        "bob",
        "carol",
        "alice",
    ]
    assert {s.pk for s in shifts} == set(before)  # rows are updated in place, ids kept
    assert result.created == 0 and result.updated > 0
    changed = [s for s in shifts if s.user_id != before[s.pk][1]]
    assert all(s.sequence == 1 for s in changed)
    assert ShiftChange.objects.filter(action=ShiftChange.Action.REGENERATED).count() == len(changed)


def test_regeneration_without_changes_changes_nothing():
    rotation = RotationFactory(participants=[UserFactory(), UserFactory()])
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 6, 1), now=BEFORE_2024)

    result = services.rotation_regenerate(
        rotation=rotation, until=datetime.date(2024, 6, 1), now=BEFORE_2024
    )

    assert (result.created, result.updated, result.deleted) == (0, 0, 0)


def test_extending_adds_only_the_missing_shifts():
    rotation = RotationFactory(participants=[UserFactory(), UserFactory()])
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 1, 31), now=BEFORE_2024)
    first = shifts_of(rotation)

    created = services.rotation_generate(
        rotation=rotation, until=datetime.date(2024, 2, 29), now=BEFORE_2024
    )

    shifts = shifts_of(rotation)
    assert created == len(shifts) - len(first) == 4
    assert shifts[: len(first)] == first
    assert all(a.end == b.start for a, b in zip(shifts, shifts[1:], strict=False))


def test_a_swapped_shift_does_not_shift_everyone_elses_turn():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    rotation = RotationFactory(participants=[alice, bob, carol])
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 2, 25), now=BEFORE_2024)
    services.shift_reassign(shift=shifts_of(rotation)[0], user=carol)

    services.rotation_regenerate(
        rotation=rotation,
        until=datetime.date(2024, 2, 25),
        now=datetime.datetime(2024, 1, 3, tzinfo=UTC),
    )

    assert who(shifts_of(rotation)) == [
        "carol",
        "bob",
        "carol",
        "alice",
        "bob",
        "carol",
        "alice",
        "bob",
    ]


def test_balance_weekends_spreads_weekend_days_that_round_robin_gives_to_the_same_people():
    people = [UserFactory(username=f"p{i}") for i in range(7)]
    plain = RotationFactory(shift_length_unit=Rotation.Unit.DAYS, participants=people)
    fair = RotationFactory(
        shift_length_unit=Rotation.Unit.DAYS,
        fairness=Rotation.Fairness.BALANCE_WEEKENDS,
        participants=people,
    )
    until = datetime.date(2024, 2, 25)  # eight weeks from Monday 2024-01-01

    for rotation in (plain, fair):
        services.rotation_generate(rotation=rotation, until=until, now=BEFORE_2024)

    def weekend_days(rotation):
        counts = dict.fromkeys((p.username for p in people), 0)
        for shift in shifts_of(rotation):
            if shift.start.weekday() >= 5:
                counts[shift.user.username] += 1
        return counts

    def totals(rotation):
        counts = dict.fromkeys((p.username for p in people), 0)
        for shift in shifts_of(rotation):
            counts[shift.user.username] += 1
        return counts

    assert sorted(weekend_days(plain).values()) == [0, 0, 0, 0, 0, 8, 8]
    fair_weekends = weekend_days(fair).values()
    assert max(fair_weekends) - min(fair_weekends) <= 1
    assert max(totals(fair).values()) - min(totals(fair).values()) <= 1


def test_person_rotation_following_a_team_rotation_deals_among_the_team_on_shift():
    alpha, beta = TeamFactory(slug="alpha"), TeamFactory(slug="beta")
    for team, names in ((alpha, ("a1", "a2")), (beta, ("b1", "b2"))):
        for name in names:
            MembershipFactory(team=team, user=UserFactory(username=name))
    MembershipFactory(team=alpha, role="manager", user=UserFactory(username="a0-manager"))
    teams = TeamRotationFactory(
        shift_length_unit=Rotation.Unit.WEEKS, shift_length_count=3, participants=[alpha, beta]
    )
    oncall = RotationFactory(team=None, follows_team_rotation=teams)

    services.rotation_generate(rotation=oncall, until=datetime.date(2024, 2, 25), now=BEFORE_2024)

    assert who(shifts_of(oncall)) == ["a1", "a2", "a1", "b1", "b2", "b1", "a2", "a1"]
    assert Shift.objects.filter(rotation=teams).count() == 3  # the team rotation came first


def test_generation_uses_the_same_queries_for_ten_weeks_and_two_years():
    short = RotationFactory(participants=[UserFactory(), UserFactory()])
    long = RotationFactory(participants=[UserFactory(), UserFactory()])
    for rotation in (short, long):  # a day of leave each: one cover each
        UnavailabilityFactory(user=rotation.participants.first().user)

    def run(rotation, until):
        with CaptureQueriesContext(connection) as queries:
            created = services.rotation_generate(rotation=rotation, until=until, now=BEFORE_2024)
        inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "rota_shift"')]
        return created, len(queries) - len(inserts), len(inserts)

    ten_weeks = run(short, datetime.date(2024, 3, 10))
    two_years = run(long, datetime.date(2025, 12, 31))

    assert (ten_weeks[0], two_years[0]) == (10, 105)
    assert two_years[1] == ten_weeks[1]  # reads and bookkeeping do not grow with the horizon
    assert two_years[2] <= 3  # shifts are written in bulk (SQLite caps rows per statement)


def test_extend_all_fills_every_active_rotation_to_its_horizon():
    now = datetime.datetime(2024, 1, 1, 12, tzinfo=UTC)
    weekly = RotationFactory(participants=[UserFactory()], horizon_weeks=4)
    idle = RotationFactory(participants=[UserFactory()], active=False)

    created = services.rotations_extend_all(now=now)

    assert created == 5  # the week in progress and four ahead
    assert shifts_of(weekly)[-1].end >= now + datetime.timedelta(weeks=4)
    assert not shifts_of(idle)


def test_a_shift_on_offer_is_not_re_dealt_under_the_offer():
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    rotation = RotationFactory(participants=[alice, bob])
    services.rotation_generate(rotation=rotation, until=datetime.date(2024, 1, 28), now=BEFORE_2024)
    offered = shifts_of(rotation)[1]
    services.swap_offer(shift=offered, by=bob, now=BEFORE_2024)

    services.rotation_set_participants(
        rotation=rotation, participants=[carol, alice], regenerate=False
    )
    services.rotation_regenerate(
        rotation=rotation, until=datetime.date(2024, 1, 28), now=BEFORE_2024
    )

    assert who(shifts_of(rotation)) == ["carol", "bob", "alice", "carol"]


def test_regenerating_a_team_rotation_re_deals_the_rotations_that_follow_it():
    alpha, beta = TeamFactory(), TeamFactory()
    MembershipFactory(team=alpha, user=UserFactory(username="a1"))
    MembershipFactory(team=beta, user=UserFactory(username="b1"))
    teams = TeamRotationFactory(
        shift_length_unit=Rotation.Unit.WEEKS, shift_length_count=1, participants=[alpha, beta]
    )
    oncall = RotationFactory(team=None, follows_team_rotation=teams)
    services.rotation_generate(rotation=oncall, until=datetime.date(2024, 1, 21), now=BEFORE_2024)

    services.rotation_set_participants(rotation=teams, participants=[beta, alpha], regenerate=False)
    services.rotation_regenerate(rotation=teams, until=datetime.date(2024, 1, 21), now=BEFORE_2024)

    assert who(shifts_of(oncall)) == ["b1", "a1", "b1"]
