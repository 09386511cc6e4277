"""Every time a manager reads or types in the rota admin is in the rotation's own time zone.

Asia/Kolkata is UTC+05:30 all year, so a 09:00 handoff is 03:30 UTC. Europe/London is UTC+1
(BST) until the clocks go back on Sunday 25 Oct 2026 and UTC+0 (GMT) after, and UTC+1 again
from Sunday 28 Mar 2027: a 09:00 local shift is 08:00 UTC in summer and 09:00 UTC in winter.
"""

import datetime
import re

import pytest

from ownership.models import Membership
from portal.demo.seed import managers_group_sync
from rota import services
from rota.models import Override, Rotation, Shift
from tests.ownership.factories import MembershipFactory, UserFactory

from .admin_helpers import page_data
from .factories import (
    OverrideFactory,
    RotationFactory,
    ShiftFactory,
    SwapRequestFactory,
    UnavailabilityFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)  # short turns: one rotation holds no overlapping shifts
SHIFTS, OVERRIDES = "/admin/rota/shift/", "/admin/rota/override/"
# The shift page's history inline, empty on an add page.
NO_HISTORY = {"changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0"}


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def ana():
    return UserFactory(username="ana")


@pytest.fixture
def kolkata(ana):
    return RotationFactory(name="Bangalore on-call", timezone="Asia/Kolkata", participants=[ana])


@pytest.fixture
def london(ana):
    return RotationFactory(name="London on-call", timezone="Europe/London", participants=[ana])


@pytest.fixture
def manager_client(client, kolkata, london, ana):
    """A team manager (staff, managers' group, not superuser) of both rotations' teams."""
    manager = UserFactory(username="maria", is_staff=True)
    manager.groups.add(managers_group_sync())
    for rotation in (kolkata, london):
        MembershipFactory(team=rotation.team, user=manager, role=Membership.Role.MANAGER)
        MembershipFactory(team=rotation.team, user=ana)
    client.force_login(manager)
    return client


def shown(page, name):
    """Return the date and time an admin form shows in its split widget for ``name``."""
    data = page_data(page)
    return data[f"{name}_0"], data[f"{name}_1"][:5]


def test_the_preview_shows_a_kolkata_handoff_at_09_00(manager_client, kolkata):
    kolkata.shift_length_unit = Rotation.Unit.DAYS
    kolkata.start_date = datetime.date(2026, 1, 1)
    kolkata.save()
    services.rotation_regenerate(rotation=kolkata, until=datetime.date(2027, 1, 31))
    html = manager_client.get(f"/admin/rota/rotation/{kolkata.pk}/change/").content.decode()
    # Daily shifts handing off at 09:00 IST (03:30 UTC): four weeks hold over 25 handoffs.
    assert html.count(" 09:00 IST</td>") >= 25
    assert "03:30" not in html
    assert "times in Asia/Kolkata" in html


def test_typing_09_00_in_a_kolkata_override_stores_03_30_utc(manager_client, kolkata, ana):
    page = manager_client.get(f"{OVERRIDES}add/", {"rotation": kolkata.pk})
    assert "Local time in Asia/Kolkata" in page.content.decode()
    data = {
        "rotation": kolkata.pk,
        "start_0": "2030-01-07",
        "start_1": "09:00",
        "end_0": "2030-01-07",
        "end_1": "13:00",
        "user": ana.pk,
        "reason": "Dentist cover",
    }
    response = manager_client.post(f"{OVERRIDES}add/", data)
    assert response.status_code == 302, response.content.decode()
    override = Override.objects.get(reason="Dentist cover")
    assert (override.start, override.end) == (at(2030, 1, 7, 3, 30), at(2030, 1, 7, 7, 30))


def test_an_add_form_reads_times_in_the_rotation_picked_on_it(manager_client, kolkata, london, ana):
    # No ?rotation=: the help text points at the picker, and the zone is the picked one's.
    page = manager_client.get(f"{OVERRIDES}add/")
    assert "time zone of the rotation chosen above" in page.content.decode()
    for rotation, expected in ((kolkata, at(2030, 7, 1, 3, 30)), (london, at(2030, 7, 1, 8))):
        data = {
            "rotation": rotation.pk,
            "start_0": "2030-07-01",
            "start_1": "09:00",
            "end_0": "2030-07-01",
            "end_1": "10:00",
            "user": ana.pk,
            "reason": f"cover in {rotation.name}",
        }
        assert manager_client.post(f"{OVERRIDES}add/", data).status_code == 302
        assert Override.objects.get(reason=f"cover in {rotation.name}").start == expected


def test_an_override_is_edited_in_local_time(manager_client, kolkata, ana):
    override = OverrideFactory(
        rotation=kolkata, user=ana, start=at(2030, 1, 7, 3, 30), end=at(2030, 1, 7, 7, 30)
    )
    url = f"{OVERRIDES}{override.pk}/change/"
    page = manager_client.get(url)
    assert shown(page, "start") == ("2030-01-07", "09:00")
    assert shown(page, "end") == ("2030-01-07", "13:00")
    # Sent back unchanged, nothing moves (the form does not mistake 09:00 IST for 09:00 UTC).
    assert manager_client.post(url, page_data(page)).status_code == 302
    override.refresh_from_db()
    assert (override.start, override.sequence) == (at(2030, 1, 7, 3, 30), 0)
    manager_client.post(url, page_data(page, end_1="14:00"))
    override.refresh_from_db()
    assert override.end == at(2030, 1, 7, 8, 30)


def test_a_shift_is_edited_in_local_time_and_its_history_reads_local(manager_client, kolkata, ana):
    shift = ShiftFactory(
        rotation=kolkata, user=ana, start=at(2030, 1, 7, 3, 30), end=at(2030, 1, 14, 3, 30)
    )
    url = f"{SHIFTS}{shift.pk}/change/"
    page = manager_client.get(url)
    assert shown(page, "start") == ("2030-01-07", "09:00")
    assert "Local time in Asia/Kolkata" in page.content.decode()
    response = manager_client.post(url, page_data(page, start_1="10:00"))
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.start == at(2030, 1, 7, 4, 30)
    html = manager_client.get(url).content.decode()
    assert "start: 2030-01-07 09:00 IST → 2030-01-07 10:00 IST" in html
    # The bookkeeping's "updated at" (just now) is in the rotation's zone too.
    assert re.search(r'<div class="readonly">\w{3} \d\d \w{3} \d{4} \d\d:\d\d IST</div>', html)
    audit = manager_client.get("/admin/rota/shiftchange/").content.decode()
    assert "start: 2030-01-07 09:00 IST → 2030-01-07 10:00 IST" in audit


def test_the_lists_show_local_time_with_the_zone(manager_client, kolkata, ana):
    ShiftFactory(rotation=kolkata, user=ana, start=at(2030, 1, 7, 3, 30))
    OverrideFactory(rotation=kolkata, user=ana, start=at(2030, 1, 8, 3, 30))
    assert "Mon 07 Jan 2030 09:00 IST" in manager_client.get(SHIFTS).content.decode()
    assert "Tue 08 Jan 2030 09:00 IST" in manager_client.get(OVERRIDES).content.decode()


def test_leave_warnings_speak_the_rotations_time(manager_client, kolkata, ana):
    UnavailabilityFactory(
        user=ana, start_date=datetime.date(2030, 1, 7), end_date=datetime.date(2030, 1, 7)
    )
    data = {
        "rotation": kolkata.pk,
        "start_0": "2030-01-07",
        "start_1": "09:00",
        "end_0": "2030-01-07",
        "end_1": "13:00",
        "user": ana.pk,
        **NO_HISTORY,
    }
    response = manager_client.post(f"{SHIFTS}add/", data, follow=True)
    assert response.status_code == 200
    warnings = [str(m) for m in response.context["messages"]]
    assert any("on duty in Bangalore on-call from 07 Jan 09:00 IST" in w for w in warnings), (
        warnings
    )


def test_london_shifts_read_09_00_either_side_of_the_clock_change(manager_client, london, ana):
    # 09:00 BST on Mon 19 Oct 2026 is 08:00 UTC; 09:00 GMT on Mon 26 Oct 2026 is 09:00 UTC.
    summer = ShiftFactory(
        rotation=london, user=ana, start=at(2026, 10, 19, 8), end=at(2026, 10, 26, 9)
    )
    winter = ShiftFactory(rotation=london, user=ana, start=at(2026, 10, 26, 9))
    assert shown(manager_client.get(f"{SHIFTS}{summer.pk}/change/"), "start") == (
        "2026-10-19",
        "09:00",
    )
    assert shown(manager_client.get(f"{SHIFTS}{winter.pk}/change/"), "start") == (
        "2026-10-26",
        "09:00",
    )
    # Past shifts: the list opens on those to come, so ask for all.
    listing = manager_client.get(
        SHIFTS, {"rotation__id__exact": london.pk, "when": "all"}
    ).content.decode()
    assert "Mon 19 Oct 2026 09:00 BST" in listing
    assert "Mon 26 Oct 2026 09:00 GMT" in listing


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # The Monday before the clocks go forward on 28 Mar 2027 is GMT, the one after BST.
        ("2027-03-22", at(2027, 3, 22, 9)),
        ("2027-03-29", at(2027, 3, 29, 8)),
        # 01:30 on 28 Mar 2027 does not exist in London: the rota's rule takes the instant the
        # clocks jump, 01:00 UTC (02:00 BST).
        ("2027-03-28 01:30", at(2027, 3, 28, 1)),
    ],
)
def test_typing_a_london_time_follows_daylight_saving(manager_client, london, ana, day, expected):
    day, _, time = day.partition(" ")
    data = {
        "rotation": london.pk,
        "start_0": day,
        "start_1": time or "09:00",
        "end_0": "2027-04-30",
        "end_1": "09:00",
        "user": ana.pk,
        "note": "typed",
        **NO_HISTORY,
    }
    response = manager_client.post(f"{SHIFTS}add/", data)
    assert response.status_code == 302, response.content.decode()
    assert Shift.objects.get(note="typed").start == expected


def test_a_swap_names_its_shift_in_local_time(manager_client, kolkata, ana):
    shift = ShiftFactory(
        rotation=kolkata, user=ana, start=at(2030, 1, 7, 3, 30), end=at(2030, 1, 14, 3, 30)
    )
    swap = SwapRequestFactory(shift=shift, offered_by=ana)
    listing = manager_client.get("/admin/rota/swaprequest/").content.decode()
    assert "Mon 07 Jan 2030 09:00 IST" in listing
    page = manager_client.get(f"/admin/rota/swaprequest/{swap.pk}/change/").content.decode()
    assert "Mon 07 Jan 2030 09:00 IST - Mon 14 Jan 2030 09:00 IST" in page


def test_a_shift_page_names_the_shift_in_local_time(manager_client, kolkata, ana):
    # The breadcrumb and the "was changed" message name the shift the way the manager reads it.
    shift = ShiftFactory(
        rotation=kolkata, user=ana, start=at(2030, 1, 7, 3, 30), end=at(2030, 1, 14, 3, 30)
    )
    override = OverrideFactory(
        rotation=kolkata, user=ana, start=at(2030, 1, 8, 3, 30), end=at(2030, 1, 8, 7, 30)
    )
    expected = "Bangalore on-call: Mon 07 Jan 2030 09:00 IST - Mon 14 Jan 2030 09:00 IST"
    assert expected in manager_client.get(f"{SHIFTS}{shift.pk}/change/").content.decode()
    expected = (
        "Override on Bangalore on-call: Tue 08 Jan 2030 09:00 IST - Tue 08 Jan 2030 13:00 IST"
    )
    assert expected in manager_client.get(f"{OVERRIDES}{override.pk}/change/").content.decode()


# --- Days in the list filters -----------------------------------------------------------------
# Django's date_hierarchy cut days at UTC midnight. The lists now filter on the day as each row's
# rotation counts it: 7 Dec 2026 in Kolkata runs from 6 Dec 18:30 UTC to 7 Dec 18:30 UTC, in
# London (GMT in December) from 7 Dec 00:00 UTC to 8 Dec 00:00 UTC.


def listed(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}, response.content.decode()


def test_no_rota_list_drills_down_by_utc_day(manager_client):
    for url in (SHIFTS, OVERRIDES, "/admin/rota/shiftchange/", "/admin/rota/swaprequest/"):
        html = manager_client.get(url).content.decode()
        assert '<nav class="toplinks">' not in html  # the date_hierarchy bar
        assert "(rotation&#x27;s day)" in html


def test_a_shift_just_after_midnight_in_kolkata_is_on_that_kolkata_day(
    manager_client, kolkata, london, ana
):
    # 18:45 UTC on 6 Dec is 00:15 IST on Mon 7 Dec; 18:30 UTC on 7 Dec is 00:00 IST on Tue 8 Dec.
    early = ShiftFactory(
        rotation=kolkata,
        user=ana,
        start=at(2026, 12, 6, 18, 45),
        end=at(2026, 12, 6, 18, 45) + HOUR,
    )
    next_day = ShiftFactory(
        rotation=kolkata,
        user=ana,
        start=at(2026, 12, 7, 18, 30),
        end=at(2026, 12, 7, 18, 30) + HOUR,
    )
    # 23:30 UTC on 6 Dec is 23:30 GMT on Sun 6 Dec; 09:00 UTC on 7 Dec is 09:00 GMT on 7 Dec.
    late = ShiftFactory(
        rotation=london, user=ana, start=at(2026, 12, 6, 23, 30), end=at(2026, 12, 6, 23, 30) + HOUR
    )
    morning = ShiftFactory(
        rotation=london, user=ana, start=at(2026, 12, 7, 9), end=at(2026, 12, 7, 9) + HOUR
    )
    pks, html = listed(manager_client, SHIFTS, start_day="2026-12-07")
    assert pks == {early.pk, morning.pk}
    assert "Mon 07 Dec 2026 00:15 IST" in html
    assert "Mon 07 Dec 2026 09:00 GMT" in html
    assert listed(manager_client, SHIFTS, start_day="2026-12-06")[0] == {late.pk}
    assert listed(manager_client, SHIFTS, start_day="2026-12-08")[0] == {next_day.pk}


def test_the_london_day_the_clocks_go_back_has_25_hours(manager_client, london, ana):
    # Sun 25 Oct 2026 in London runs from 24 Oct 23:00 UTC (00:00 BST) to 26 Oct 00:00 UTC
    # (00:00 GMT), 25 hours: 23:15 UTC on 24 Oct (00:15 BST) and 23:45 UTC on 25 Oct (23:45 GMT)
    # are both on it; 00:00 UTC on 26 Oct is Mon 26 Oct 00:00 GMT, the next day.
    first = OverrideFactory(
        rotation=london, user=ana, start=at(2026, 10, 24, 23, 15), end=at(2026, 10, 24, 23, 45)
    )
    last = OverrideFactory(
        rotation=london, user=ana, start=at(2026, 10, 25, 23, 45), end=at(2026, 10, 25, 23, 50)
    )
    monday = OverrideFactory(
        rotation=london, user=ana, start=at(2026, 10, 26), end=at(2026, 10, 26, 1)
    )
    pks, html = listed(manager_client, OVERRIDES, start_day="2026-10-25")
    assert pks == {first.pk, last.pk}
    assert "Sun 25 Oct 2026 00:15 BST" in html
    assert "Sun 25 Oct 2026 23:45 GMT" in html
    assert listed(manager_client, OVERRIDES, start_day="2026-10-24")[0] == set()
    assert listed(manager_client, OVERRIDES, start_day="2026-10-26")[0] == {monday.pk}


def test_today_and_this_week_are_each_rotations_own(
    manager_client, kolkata, london, ana, monkeypatch
):
    # At 20:00 UTC on Sun 6 Dec 2026 it is already Mon 7 Dec (01:30 IST) in Kolkata but still
    # Sun 6 Dec (20:00 GMT) in London; Kolkata's week is Mon 7 - Sun 13 Dec, London's
    # Mon 30 Nov - Sun 6 Dec.
    import types

    from core import admin_times

    monkeypatch.setattr(
        admin_times, "timezone", types.SimpleNamespace(now=lambda: at(2026, 12, 6, 20))
    )
    kolkata_today = ShiftFactory(
        rotation=kolkata, user=ana, start=at(2026, 12, 7, 3, 30), end=at(2026, 12, 7, 3, 30) + HOUR
    )
    kolkata_sunday = ShiftFactory(
        rotation=kolkata, user=ana, start=at(2026, 12, 6, 3, 30), end=at(2026, 12, 6, 3, 30) + HOUR
    )
    london_today = ShiftFactory(
        rotation=london, user=ana, start=at(2026, 12, 6, 9), end=at(2026, 12, 6, 9) + HOUR
    )
    london_monday = ShiftFactory(
        rotation=london, user=ana, start=at(2026, 12, 7, 9), end=at(2026, 12, 7, 9) + HOUR
    )
    assert listed(manager_client, SHIFTS, start_day="today")[0] == {
        kolkata_today.pk,
        london_today.pk,
    }
    assert listed(manager_client, SHIFTS, start_day="yesterday")[0] == {kolkata_sunday.pk}
    assert listed(manager_client, SHIFTS, start_day="tomorrow")[0] == {london_monday.pk}
    assert listed(manager_client, SHIFTS, start_day="this_week")[0] == {
        kolkata_today.pk,
        london_today.pk,
    }
    assert listed(manager_client, SHIFTS, start_day="last_week")[0] == {kolkata_sunday.pk}
    assert listed(manager_client, SHIFTS, start_day="next_week")[0] == {london_monday.pk}


def test_a_bad_day_is_refused_not_a_500(manager_client, kolkata, ana):
    ShiftFactory(rotation=kolkata, user=ana, start=at(2026, 12, 6, 18, 45))
    response = manager_client.get(SHIFTS, {"start_day": "7 Dec"})
    # Django's answer to a bad lookup: back to the unfiltered list with ?e=1.
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_the_audit_trail_and_swaps_filter_and_show_by_the_rotations_day(
    manager_client, kolkata, ana
):
    from rota.models import ShiftChange, SwapRequest

    shift = ShiftFactory(rotation=kolkata, user=ana, start=at(2027, 1, 4, 3, 30))
    url = f"{SHIFTS}{shift.pk}/change/"
    manager_client.post(url, page_data(manager_client.get(url), note="moved"))
    change = ShiftChange.objects.get(shift=shift)
    # Changed at 18:45 UTC on 6 Dec: 00:15 IST on Mon 7 Dec.
    ShiftChange.objects.filter(pk=change.pk).update(changed_at=at(2026, 12, 6, 18, 45))
    pks, html = listed(manager_client, "/admin/rota/shiftchange/", changed_at_day="2026-12-07")
    assert pks == {change.pk}
    assert "Mon 07 Dec 2026 00:15 IST" in html
    assert listed(manager_client, "/admin/rota/shiftchange/", changed_at_day="2026-12-06")[0] == (
        set()
    )
    page = manager_client.get(f"/admin/rota/shiftchange/{change.pk}/change/").content.decode()
    assert f"shift {shift.pk} at 2026-12-07 00:15 IST" in page  # the row's name
    swap = SwapRequestFactory(shift=shift, offered_by=ana)
    # Asked at 18:45 UTC on 6 Dec (00:15 IST on 7 Dec), taken at 19:00 UTC (00:30 IST), closed
    # at 03:30 UTC on 7 Dec (09:00 IST).
    SwapRequest.objects.filter(pk=swap.pk).update(
        created_at=at(2026, 12, 6, 18, 45),
        taken_at=at(2026, 12, 6, 19),
        closed_at=at(2026, 12, 7, 3, 30),
    )
    pks, html = listed(manager_client, "/admin/rota/swaprequest/", created_at_day="2026-12-07")
    assert pks == {swap.pk}
    assert "Mon 07 Dec 2026 00:15 IST" in html
    page = manager_client.get(f"/admin/rota/swaprequest/{swap.pk}/change/").content.decode()
    for shown_time in ("00:15 IST", "00:30 IST", "Mon 07 Dec 2026 09:00 IST"):
        assert shown_time in page
    assert "18:45" not in page and "19:00" not in page
