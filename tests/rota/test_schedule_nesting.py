"""Nested overrides ("cover for the cover"): the innermost holds its window, the outer resumes.

The organisation: a person rotation "Payments on-call" in Europe/London. In early March 2026
London is on GMT, so local times equal UTC ones. Ana holds the week's shift from Monday
2 March 09:00 to Monday 9 March 09:00. Overrides are written through the API by a manager.
"""

import datetime

import pytest

from rota import services
from rota.exceptions import OverrideOverlap
from rota.models import Override
from rota.selectors import final_schedule, oncall_at, oncall_for, segments_for
from tests.ownership.factories import TeamFactory, UserFactory

from .admin_helpers import page_data
from .factories import RotationFactory, ShiftFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
OVERRIDES = "/api/v1/overrides/"
ONCALL = "/api/v1/oncall/"


def at(day, hour=0, minute=0):
    """An instant in March 2026 (UTC; London is on GMT until the 29th)."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def people():
    return {name: UserFactory(username=name) for name in ("ana", "bob", "cy", "dee", "eve")}


@pytest.fixture
def rotation(people):
    rotation = RotationFactory(name="Payments on-call", timezone="Europe/London")
    ShiftFactory(rotation=rotation, user=people["ana"], start=at(2, 9), end=at(9, 9))
    return rotation


def _cover(client, rotation, who, start, end):
    return client.post(
        OVERRIDES,
        {"rotation": rotation.pk, "user": who, "start": iso(start), "end": iso(end)},
    )


def _spans(segments):
    return [(s.user.username, s.start, s.end, s.is_override) for s in segments]


def test_a_nested_override_holds_its_window_and_the_outer_one_resumes(
    staff_client, rotation, user_client
):
    # bob covers Tuesday 09:00 to Thursday 09:00; on Wednesday 09:00-17:00 cy covers for bob.
    assert _cover(staff_client, rotation, "bob", at(3, 9), at(5, 9)).status_code == 201
    response = _cover(staff_client, rotation, "cy", at(4, 9), at(4, 17))
    assert response.status_code == 201, response.content

    # By hand: ana Mon 09:00 - Tue 09:00; bob Tue 09:00 - Wed 09:00 (cy starts);
    # cy Wed 09:00 - 17:00; bob again Wed 17:00 - Thu 09:00; ana Thu 09:00 - Mon 9 09:00.
    assert _spans(final_schedule(rotation=rotation, start=at(1), end=at(10))) == [
        ("ana", at(2, 9), at(3, 9), False),
        ("bob", at(3, 9), at(4, 9), True),
        ("cy", at(4, 9), at(4, 17), True),
        ("bob", at(4, 17), at(5, 9), True),
        ("ana", at(5, 9), at(9, 9), False),
    ]
    # The instant lookup agrees, and its end is where that person really stops.
    expected = {
        at(2, 10): ("ana", at(2, 9), at(3, 9)),
        at(3, 12): ("bob", at(3, 9), at(4, 9)),  # until cy starts, not bob's Thursday end
        at(4, 9): ("cy", at(4, 9), at(4, 17)),
        at(4, 16, 59): ("cy", at(4, 9), at(4, 17)),
        at(4, 17): ("bob", at(4, 17), at(5, 9)),  # bob resumes
        at(5, 9): ("ana", at(5, 9), at(9, 9)),
    }
    for instant, (who, start, end) in expected.items():
        found = oncall_at(rotation=rotation, at=instant)
        assert (found.user.username, found.start, found.end) == (who, start, end), instant

    # Through the API: /oncall/?rotation=ID&at=...
    def primary(instant):
        body = user_client.get(ONCALL, {"rotation": rotation.pk, "at": iso(instant)}).json()
        return body["primary"]["username"], body["primary"]["shift_end"]

    assert primary(at(3, 12)) == ("bob", "2026-03-04T09:00:00Z")
    assert primary(at(4, 12)) == ("cy", "2026-03-04T17:00:00Z")
    assert primary(at(4, 20)) == ("bob", "2026-03-05T09:00:00Z")
    assert primary(at(6, 12)) == ("ana", "2026-03-09T09:00:00Z")


def test_overrides_nest_three_levels_deep_with_siblings(staff_client, rotation):
    # bob covers Tue 09:00 - Fri 09:00; inside it cy covers Wed 09:00 - Thu 09:00, and inside
    # that dee covers Wed 12:00 - 14:00; eve covers Thu 12:00 - 18:00, inside bob's but apart
    # from cy's.
    for who, start, end in (
        ("bob", at(3, 9), at(6, 9)),
        ("cy", at(4, 9), at(5, 9)),
        ("dee", at(4, 12), at(4, 14)),
        ("eve", at(5, 12), at(5, 18)),
    ):
        response = _cover(staff_client, rotation, who, start, end)
        assert response.status_code == 201, response.content

    # By hand, the innermost wins each instant and every outer cover resumes after it.
    expected = [
        ("ana", at(2, 9), at(3, 9), False),
        ("bob", at(3, 9), at(4, 9), True),
        ("cy", at(4, 9), at(4, 12), True),
        ("dee", at(4, 12), at(4, 14), True),
        ("cy", at(4, 14), at(5, 9), True),
        ("bob", at(5, 9), at(5, 12), True),
        ("eve", at(5, 12), at(5, 18), True),
        ("bob", at(5, 18), at(6, 9), True),
        ("ana", at(6, 9), at(9, 9), False),
    ]
    segments = segments_for([rotation], at(1), at(10))[rotation.pk]
    assert _spans(segments) == expected
    # oncall_for answers each segment's start and middle instants with that very segment.
    for who, start, end, _ in expected:
        for instant in (start, start + (end - start) / 2, end - datetime.timedelta(minutes=1)):
            found = oncall_for([rotation], instant)[rotation.pk]
            assert (found.user.username, found.start, found.end) == (who, start, end), instant


def test_nested_overrides_over_a_gap_in_the_rota(people):
    # No shift at all this week: bob covers Mon 09:00 - Fri 09:00, cy covers Wed 09:00-17:00.
    rotation = RotationFactory(timezone="Europe/London")
    services.override_create(rotation=rotation, user=people["bob"], start=at(2, 9), end=at(6, 9))
    services.override_create(rotation=rotation, user=people["cy"], start=at(4, 9), end=at(4, 17))

    # On Tuesday bob is on until cy starts on Wednesday 09:00, although no shift bounds it.
    tuesday = oncall_at(rotation=rotation, at=at(3, 12))
    evening = oncall_at(rotation=rotation, at=at(4, 20))

    assert (tuesday.user, tuesday.start, tuesday.end) == (people["bob"], at(2, 9), at(4, 9))
    assert (evening.user, evening.start, evening.end) == (people["bob"], at(4, 17), at(6, 9))
    assert oncall_at(rotation=rotation, at=at(6, 9)) is None


def test_an_override_across_a_handoff_nests_around_one_in_the_next_shift(people):
    # ana's shift ends Thursday 09:00 and dee's begins; bob covers Wed 09:00 - Fri 09:00 across
    # the handoff, and cy covers Thursday 12:00-14:00 inside bob's cover.
    rotation = RotationFactory(timezone="Europe/London")
    ShiftFactory(rotation=rotation, user=people["ana"], start=at(2, 9), end=at(5, 9))
    ShiftFactory(rotation=rotation, user=people["dee"], start=at(5, 9), end=at(9, 9))
    services.override_create(rotation=rotation, user=people["bob"], start=at(4, 9), end=at(6, 9))
    services.override_create(rotation=rotation, user=people["cy"], start=at(5, 12), end=at(5, 14))

    # By hand: bob Wed 09:00 - Thu 12:00 (cy starts), cy until 14:00, bob until Fri 09:00.
    assert _spans(segments_for([rotation], at(4), at(7))[rotation.pk]) == [
        ("ana", at(4), at(4, 9), False),
        ("bob", at(4, 9), at(5, 12), True),
        ("cy", at(5, 12), at(5, 14), True),
        ("bob", at(5, 14), at(6, 9), True),
        ("dee", at(6, 9), at(7), False),
    ]
    for instant, end in ((at(4, 20), at(5, 12)), (at(5, 10), at(5, 12)), (at(5, 15), at(6, 9))):
        found = oncall_at(rotation=rotation, at=instant)
        assert (found.user, found.end) == (people["bob"], end), instant


def test_the_instant_lookup_of_nested_overrides_costs_two_queries(
    rotation, people, django_assert_num_queries
):
    services.override_create(rotation=rotation, user=people["bob"], start=at(3, 9), end=at(5, 9))
    services.override_create(rotation=rotation, user=people["cy"], start=at(4, 9), end=at(4, 17))
    with django_assert_num_queries(2):  # shifts, overrides
        found = oncall_for([rotation], at(3, 12))[rotation.pk]
    assert (found.user, found.end) == (people["bob"], at(4, 9))


# --- Refusals -------------------------------------------------------------------------------


def test_a_partial_overlap_is_a_400_naming_the_other_cover_and_its_local_times(
    staff_client, rotation
):
    assert _cover(staff_client, rotation, "bob", at(2, 9), at(3, 9)).status_code == 201

    # Starts inside bob's cover, ends after it.
    starts_inside = _cover(staff_client, rotation, "cy", at(2, 21), at(3, 21))
    # Starts before bob's cover, ends inside it.
    ends_inside = _cover(staff_client, rotation, "cy", at(1, 21), at(2, 21))

    assert starts_inside.status_code == 400
    assert starts_inside.json() == {
        "start": [
            "Overlaps the override of bob (2026-03-02 09:00 – 2026-03-03 09:00 Europe/London); "
            "an override must lie inside another one or apart from it."
        ]
    }
    assert ends_inside.status_code == 400
    assert list(ends_inside.json()) == ["end"]
    assert "Overlaps the override of bob (2026-03-02 09:00" in ends_inside.json()["end"][0]
    assert Override.objects.count() == 1


def test_the_message_gives_the_rotations_local_time(staff_client):
    # New York in July is UTC-4: bob's cover 13:00Z-13:00Z reads 09:00-09:00 local.
    rotation = RotationFactory(timezone="America/New_York")
    for name in ("bob", "cy"):
        UserFactory(username=name)
    start = datetime.datetime(2026, 7, 1, 13, tzinfo=UTC)
    day = datetime.timedelta(days=1)
    assert _cover(staff_client, rotation, "bob", start, start + day).status_code == 201

    response = _cover(staff_client, rotation, "cy", start + day / 2, start + 2 * day)

    assert response.status_code == 400
    assert "(2026-07-01 09:00 – 2026-07-02 09:00 America/New_York)" in response.json()["start"][0]


def test_an_override_repeating_anothers_window_is_refused_as_a_duplicate(staff_client, rotation):
    assert _cover(staff_client, rotation, "bob", at(3, 9), at(4, 9)).status_code == 201

    response = _cover(staff_client, rotation, "cy", at(3, 9), at(4, 9))

    assert response.status_code == 400
    assert response.json()["start"] == [
        "Duplicates the override of bob (2026-03-03 09:00 – 2026-03-04 09:00 Europe/London): "
        "the same window twice; change that override instead."
    ]


def test_editing_an_override_so_that_it_sticks_out_is_refused(staff_client, rotation):
    outer = _cover(staff_client, rotation, "bob", at(3, 9), at(5, 9)).json()
    inner = _cover(staff_client, rotation, "cy", at(4, 9), at(4, 17)).json()

    # The inner cover stretched past the outer one's end: its end now lies outside bob's.
    stretched = staff_client.patch(f"{OVERRIDES}{inner['id']}/", {"end": iso(at(5, 12))})
    # The outer cover shortened to end in the middle of cy's.
    shortened = staff_client.patch(f"{OVERRIDES}{outer['id']}/", {"end": iso(at(4, 12))})
    # The outer cover widened: cy's still lies inside it, which is fine.
    widened = staff_client.patch(f"{OVERRIDES}{outer['id']}/", {"end": iso(at(6, 9))})

    assert stretched.status_code == 400
    assert "Overlaps the override of bob (2026-03-03 09:00" in stretched.json()["start"][0]
    assert shortened.status_code == 400
    assert "Overlaps the override of cy (2026-03-04 09:00" in shortened.json()["end"][0]
    assert widened.status_code == 200, widened.content


def test_a_team_override_overlapping_partly_names_the_team():
    payments, ledger, infra = (TeamFactory(name=n) for n in ("Payments", "Ledger", "Infra"))
    rotation = TeamRotationFactory(timezone="Europe/London")
    services.override_create(rotation=rotation, team=payments, start=at(2, 9), end=at(9, 9))
    services.override_create(rotation=rotation, team=ledger, start=at(3, 9), end=at(4, 9))

    with pytest.raises(OverrideOverlap) as refused:
        services.override_create(rotation=rotation, team=infra, start=at(8, 9), end=at(10, 9))

    assert refused.value.message_dict == {
        "start": [
            "Overlaps the override of Payments (2026-03-02 09:00 – 2026-03-09 09:00 "
            "Europe/London); an override must lie inside another one or apart from it."
        ]
    }


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _admin_add(admin_client, rotation, user, start, end):
    # Admin times are UTC.
    page = admin_client.get("/admin/rota/override/add/")
    data = page_data(
        page,
        rotation=rotation.pk,
        start_0=start.date().isoformat(),
        start_1=start.time().isoformat(),
        end_0=end.date().isoformat(),
        end_1=end.time().isoformat(),
        user=user.pk,
    )
    return admin_client.post("/admin/rota/override/add/", data)


def test_the_admin_takes_a_nested_override_and_refuses_a_partial_overlap(
    admin_client, rotation, people
):
    services.override_create(rotation=rotation, user=people["bob"], start=at(3, 9), end=at(5, 9))

    nested = _admin_add(admin_client, rotation, people["cy"], at(4, 9), at(4, 17))
    partial = _admin_add(admin_client, rotation, people["dee"], at(4, 12), at(5, 12))

    assert nested.status_code == 302
    assert partial.status_code == 200
    errors = partial.context["adminform"].form.errors
    # dee's cover starts inside bob's (and cy's) and ends after both; the first is named.
    assert errors["start"] == [
        "Overlaps the override of bob (2026-03-03 09:00 – 2026-03-05 09:00 Europe/London); "
        "an override must lie inside another one or apart from it."
    ]
    assert sorted(Override.objects.values_list("user__username", flat=True)) == ["bob", "cy"]
