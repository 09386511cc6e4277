"""Weekly windows (restriction "weekly") and layers: who is on call, across DST, and validation.

Every instant below was worked out on paper from the zone rules:

* Europe/London 2026: clocks go forward Sun 29 Mar at 01:00 GMT (= 01:00 UTC; 01:00-02:00
  local does not exist) and back Sun 25 Oct at 02:00 BST (= 01:00 UTC; 01:00-02:00 local
  happens twice). GMT = UTC, BST = UTC+1.
* America/New_York 2026: forward Sun 8 Mar at 02:00 EST (= 07:00 UTC; 02:00-03:00 local does
  not exist), back Sun 1 Nov at 02:00 EDT (= 06:00 UTC). EST = UTC-5, EDT = UTC-4.
"""

import datetime

import pytest

from rota import routing
from rota.models import Rotation
from rota.selectors import oncall_at, oncall_for, restriction_windows, segments_for
from tests.ownership.factories import TeamFactory, UserFactory

from .admin_helpers import page_data
from .factories import RotationFactory, ShiftFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
WEEKLY = Rotation.Restriction.WEEKLY
WORKWEEK = {"from_day": 1, "from": "09:00", "to_day": 5, "to": "17:00"}  # Mon 09:00 - Fri 17:00
WEEKEND_NIGHTS = {"from_day": 6, "from": "20:00", "to_day": 1, "to": "08:00"}  # Sat 20 - Mon 08


@pytest.fixture(autouse=True)
def empty_cache():
    routing.responders_cache_clear()
    yield
    routing.responders_cache_clear()


def utc(month, day, hour=0, minute=0, year=2026):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly_rotation(tz, windows, *, user=None, **extra):
    """A weekly-windows rotation with one person on a shift over all of 2026."""
    rotation = RotationFactory(
        timezone=tz, restriction=WEEKLY, restriction_windows=windows, **extra
    )
    rotation.full_clean()
    ShiftFactory(
        rotation=rotation, user=user or UserFactory(), start=utc(1, 1), end=utc(1, 1, year=2027)
    )
    return rotation


def on_duty(rotation, instant):
    """Return (start, end) of the duty in force at ``instant`` (None: nobody on call)."""
    segment = oncall_at(rotation=rotation, at=instant)
    return None if segment is None else (segment.start, segment.end)


# (instant, duty in force then) -- worked out on paper, London.
LONDON_CASES = [
    # Wed 25 Mar 12:00 GMT: inside Mon 23 09:00 GMT - Fri 27 17:00 GMT.
    (utc(3, 25, 12), (utc(3, 23, 9), utc(3, 27, 17))),
    # Fri 27 Mar 17:00 GMT is the window's end: off. One minute earlier: on.
    (utc(3, 27, 17), None),
    (utc(3, 27, 16, 59), (utc(3, 23, 9), utc(3, 27, 17))),
    # Sat 28 Mar 19:59 GMT: off; 20:00 GMT exactly (the start): on until Mon 30 Mar 08:00 BST,
    # which is 07:00 UTC, after the spring change: 35 hours of duty, not 36.
    (utc(3, 28, 19, 59), None),
    (utc(3, 28, 20), (utc(3, 28, 20), utc(3, 30, 7))),
    # Sun 29 Mar 01:30 UTC (02:30 BST; 01:30 local never happens): in the weekend window.
    (utc(3, 29, 1, 30), (utc(3, 28, 20), utc(3, 30, 7))),
    # Mon 30 Mar 07:00 UTC = 08:00 BST: the end, off; 08:00 UTC = 09:00 BST: the start, on
    # until Fri 3 Apr 17:00 BST = 16:00 UTC.
    (utc(3, 30, 7), None),
    (utc(3, 30, 8), (utc(3, 30, 8), utc(4, 3, 16))),
    (utc(4, 3, 16), None),
    # Autumn: Sat 24 Oct 20:00 BST = 19:00 UTC until Mon 26 Oct 08:00 GMT = 08:00 UTC (37 h).
    (utc(10, 24, 19), (utc(10, 24, 19), utc(10, 26, 8))),
    # Sun 25 Oct 01:30 UTC = 01:30 GMT, the second 01:30 of that night: on.
    (utc(10, 25, 1, 30), (utc(10, 24, 19), utc(10, 26, 8))),
    # Fri 23 Oct 16:00 UTC = 17:00 BST: the workweek window's end, off.
    (utc(10, 23, 16), None),
    (utc(10, 23, 15, 59), (utc(10, 19, 8), utc(10, 23, 16))),
]


@pytest.mark.parametrize(("instant", "expected"), LONDON_CASES)
def test_who_is_on_call_in_london_windows_across_both_changes(instant, expected):
    rotation = weekly_rotation("Europe/London", [WORKWEEK, WEEKEND_NIGHTS])
    assert on_duty(rotation, instant) == expected


NEW_YORK_CASES = [
    # Sun 8 Mar 01:30 EST = 06:30 UTC, half an hour before the jump: in Sat 7 Mar 20:00 EST
    # (Sun 01:00 UTC) - Mon 9 Mar 08:00 EDT (12:00 UTC).
    (utc(3, 8, 6, 30), (utc(3, 8, 1), utc(3, 9, 12))),
    # Mon 9 Mar 12:59 UTC = 08:59 EDT: between the windows; 13:00 UTC = 09:00 EDT: on until
    # Fri 13 Mar 17:00 EDT = 21:00 UTC.
    (utc(3, 9, 12, 59), None),
    (utc(3, 9, 13), (utc(3, 9, 13), utc(3, 13, 21))),
    (utc(3, 13, 21), None),
    # Autumn: Fri 30 Oct 20:59 UTC = 16:59 EDT on; 21:00 UTC = 17:00 EDT off.
    (utc(10, 30, 20, 59), (utc(10, 26, 13), utc(10, 30, 21))),
    (utc(10, 30, 21), None),
    # Sun 1 Nov 05:30 UTC = 01:30 EDT (the first 01:30): in Sat 31 Oct 20:00 EDT (Sun 00:00
    # UTC) - Mon 2 Nov 08:00 EST (13:00 UTC).
    (utc(11, 1, 5, 30), (utc(11, 1, 0), utc(11, 2, 13))),
    (utc(11, 2, 13), None),
    (utc(11, 2, 14), (utc(11, 2, 14), utc(11, 6, 22))),
]


@pytest.mark.parametrize(("instant", "expected"), NEW_YORK_CASES)
def test_who_is_on_call_in_new_york_windows_across_both_changes(instant, expected):
    rotation = weekly_rotation("America/New_York", [WORKWEEK, WEEKEND_NIGHTS])
    assert on_duty(rotation, instant) == expected


def test_windows_starting_in_a_skipped_or_repeated_hour_follow_the_dst_rule():
    ny = RotationFactory.build(
        timezone="America/New_York",
        restriction=WEEKLY,
        restriction_windows=[
            {"from_day": 7, "from": "02:30", "to_day": 7, "to": "05:00"},
            {"from_day": 7, "from": "01:30", "to_day": 7, "to": "01:45"},
        ],
    )
    # Spring, Sun 8 Mar: 02:30 does not exist -> the instant of the jump, 07:00 UTC (03:00
    # EDT); 05:00 EDT = 09:00 UTC. 01:30-01:45 EST = 06:30-06:45 UTC.
    assert restriction_windows(ny, utc(3, 8), utc(3, 9)) == [
        (utc(3, 8, 6, 30), utc(3, 8, 6, 45)),
        (utc(3, 8, 7), utc(3, 8, 9)),
    ]
    # Autumn, Sun 1 Nov: 01:30 happens twice -> the first (EDT, 05:30 UTC); 01:45 EDT = 05:45
    # UTC; 02:30 EST = 07:30 UTC; 05:00 EST = 10:00 UTC.
    assert restriction_windows(ny, utc(11, 1), utc(11, 2)) == [
        (utc(11, 1, 5, 30), utc(11, 1, 5, 45)),
        (utc(11, 1, 7, 30), utc(11, 1, 10)),
    ]


def test_overlapping_windows_are_unioned_and_segments_cut_by_them():
    rotation = weekly_rotation(
        "UTC",
        [
            {"from_day": 2, "from": "09:00", "to_day": 2, "to": "12:00"},
            {"from_day": 2, "from": "11:00", "to_day": 2, "to": "14:00"},
            # Ends before it starts in week order: wraps, Sun 22:00 - Mon 06:00.
            {"from_day": 7, "from": "22:00", "to_day": 1, "to": "06:00"},
        ],
    )
    # Sun 5 Apr 2026 - Wed 8 Apr: Sun 22:00 - Mon 06:00, then Tue 09:00-14:00 (one span).
    segments = segments_for([rotation], utc(4, 5), utc(4, 8))[rotation.pk]
    assert [(s.start, s.end) for s in segments] == [
        (utc(4, 5, 22), utc(4, 6, 6)),
        (utc(4, 7, 9), utc(4, 7, 14)),
    ]


def test_public_holidays_do_not_switch_weekly_windows_off():
    team = TeamFactory()
    rotation = weekly_rotation("Europe/London", [WORKWEEK], team=team)
    # Good Friday, 3 Apr 2026, a public holiday of the team; 12:00 BST = 11:00 UTC.
    UnavailabilityFactory(
        team=team,
        user=None,
        kind="public_holiday",
        start_date=datetime.date(2026, 4, 3),
        end_date=datetime.date(2026, 4, 3),
    )
    assert on_duty(rotation, utc(4, 3, 11)) == (utc(3, 30, 8), utc(4, 3, 16))


def test_weekly_rotations_need_no_holiday_query(django_assert_num_queries):
    rotation = weekly_rotation("Europe/London", [WORKWEEK], team=TeamFactory())
    # Shifts and overrides only: a business-hours rotation of a team would add the holidays.
    with django_assert_num_queries(2):
        found = oncall_for([rotation], utc(4, 1, 12))
    assert (found[rotation.pk].start, found[rotation.pk].end) == (utc(3, 30, 8), utc(4, 3, 16))
    with django_assert_num_queries(2):
        spans = segments_for([rotation], utc(3, 30), utc(4, 6))[rotation.pk]
    assert [(s.start, s.end) for s in spans] == [(utc(3, 30, 8), utc(4, 3, 16))]


def test_a_higher_layer_answers_where_it_has_someone_and_the_lower_one_elsewhere():
    team = TeamFactory()
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    # Created first, so the lower id: under plain id order it would always answer.
    weekly = RotationFactory(team=team, timezone="Europe/London", layer=1)
    ShiftFactory(rotation=weekly, user=alice, start=utc(1, 1), end=utc(1, 1, year=2027))
    weekend = weekly_rotation(
        "Europe/London",
        [{"from_day": 6, "from": "00:00", "to_day": 1, "to": "00:00"}],
        user=bob,
        team=team,
        layer=2,
    )
    assert weekly.pk < weekend.pk

    def primary(instant):
        answer = routing.responders_for_team(team=team, at=instant)
        return answer.primary.user.username, answer.primary.shift_end

    # Sat 10 Jan 2026 12:00 GMT: the weekend layer answers until Mon 12 Jan 00:00.
    assert primary(utc(1, 10, 12)) == ("bob", utc(1, 12))
    # Wed 14 Jan: layer 2 has nobody, layer 1 answers (its shift ends 1 Jan 2027).
    assert primary(utc(1, 14, 12)) == ("alice", utc(1, 1, year=2027))
    # Mon 12 Jan 00:00 is the weekend window's end: layer 1 again.
    assert primary(utc(1, 12)) == ("alice", utc(1, 1, year=2027))


def test_equal_layers_keep_id_order():
    team = TeamFactory()
    first = RotationFactory(team=team, timezone="UTC")
    second = RotationFactory(team=team, timezone="UTC")
    for rotation, name in ((second, "second"), (first, "first")):
        ShiftFactory(rotation=rotation, user=UserFactory(username=name), start=utc(1, 1))
    answer = routing.responders_for_team(team=team, at=utc(1, 2))
    assert (answer.primary.user.username, answer.secondary) == ("first", None)


# --- Validation -------------------------------------------------------------------------------

URL = "/api/v1/rotations/"


def _body(**changes):
    body = {
        "name": "Weekend nights",
        "kind": "person",
        "participants": [],
        "shift_length": {"unit": "weeks", "count": 1},
        "handoff_time": "09:00",
        "timezone": "Europe/London",
        "start_date": "2030-01-07",
        "role": "primary",
        "restriction": "weekly",
        "restriction_windows": [WORKWEEK, WEEKEND_NIGHTS],
    }
    body.update(changes)
    return body


def test_the_api_creates_a_weekly_layered_rotation(staff_client):
    response = staff_client.post(URL, _body(layer=3), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["restriction"], body["layer"]) == ("weekly", 3)
    assert body["restriction_windows"] == [WORKWEEK, WEEKEND_NIGHTS]
    rotation = Rotation.objects.get()
    assert (rotation.layer, rotation.restriction_windows) == (3, [WORKWEEK, WEEKEND_NIGHTS])


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"restriction_windows": [WORKWEEK, {**WEEKEND_NIGHTS, "to": "25:00"}]},
            "restriction_windows",
            'restriction_windows[1].to: "25:00" is not a time HH:MM',
        ),
        (
            {"restriction_windows": [{**WORKWEEK, "from_day": 0}]},
            "restriction_windows",
            "restriction_windows[0].from_day: 0 is not a day 1 (Monday) to 7 (Sunday)",
        ),
        (
            {"restriction_windows": [{"from_day": 1, "from": "09:00", "to_day": 1}]},
            "restriction_windows",
            "restriction_windows[0].to: is required",
        ),
        (
            {"restriction_windows": [{**WORKWEEK, "to_day": 1, "to": "09:00"}]},
            "restriction_windows",
            "restriction_windows[0]: ends where it starts",
        ),
        (
            {"restriction_windows": []},
            "restriction_windows",
            "a weekly restriction needs at least one window",
        ),
        (
            {"restriction": "none"},
            "restriction_windows",
            'Windows apply only to the "weekly" restriction',
        ),
        ({"layer": 0}, "layer", ""),
    ],
)
def test_bad_windows_are_refused_naming_the_field(staff_client, changes, field, message):
    response = staff_client.post(URL, _body(**changes), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()[field]
    assert any(message in error for error in errors), errors
    assert not Rotation.objects.exists()


ROTATIONS = "/admin/rota/rotation/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_edits_windows_as_readable_lines(admin_client):
    rotation = RotationFactory(restriction=WEEKLY, restriction_windows=[WORKWEEK])
    page = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/")
    assert "Mon 09:00 - Fri 17:00</textarea>" in page.content.decode()
    data = page_data(
        page, restriction_windows="Mon 09:00 - Fri 17:00\r\nsaturday 20:00 - Mon 08:00", layer=2
    )
    response = admin_client.post(f"{ROTATIONS}{rotation.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"]
    rotation.refresh_from_db()
    assert (rotation.restriction_windows, rotation.layer) == ([WORKWEEK, WEEKEND_NIGHTS], 2)


def test_the_admin_names_the_bad_line(admin_client):
    rotation = RotationFactory(restriction=WEEKLY, restriction_windows=[WORKWEEK])
    page = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/")
    data = page_data(page, restriction_windows="Mon 09:00 - Fri 17:00\nSat 25:00 - Mon 08:00")
    response = admin_client.post(f"{ROTATIONS}{rotation.pk}/change/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "line 2: &quot;Sat 25:00 - Mon 08:00&quot;: &quot;25:00&quot; is not a time" in html
    rotation.refresh_from_db()
    assert rotation.restriction_windows == [WORKWEEK]


def test_the_admin_refuses_a_weekly_restriction_without_windows(admin_client):
    rotation = RotationFactory()
    page = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/")
    data = page_data(page, restriction="weekly", restriction_windows="")
    response = admin_client.post(f"{ROTATIONS}{rotation.pk}/change/", data)
    assert response.status_code == 200
    assert "a weekly restriction needs at least one window" in response.content.decode()
    rotation.refresh_from_db()
    assert rotation.restriction == Rotation.Restriction.NONE


def test_the_rotation_page_states_the_windows_and_the_layer(client):
    rotation = RotationFactory(
        restriction=WEEKLY, restriction_windows=[WORKWEEK, WEEKEND_NIGHTS], layer=2
    )
    client.force_login(UserFactory())
    html = client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert (
        "; weekly windows (Mon 09:00 - Fri 17:00, Sat 20:00 - Mon 08:00, Europe/London); layer 2."
    ) in html
