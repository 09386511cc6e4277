"""The admin's "Now" shortcut fills in the wall clock of the zone the form's times are read in.

Django's DateTimeShortcuts.js take the server's offset from ``<body data-admin-utc-offset>``
(seconds east of UTC, from the active zone). Shift and override forms read their times in the
rotation's zone, so their pages render with that zone active: Asia/Kolkata is UTC+05:30, i.e.
19800 s, all year; Europe/London in January is GMT, 0 s. An add page without a chosen rotation
uses the site's zone (UTC, 0 s), as does every other admin page.

The shift and override lists open on what is running or to come, soonest first.
"""

import datetime

import pytest
from django.utils import timezone

from core.timeutil import ONE_DAY, zone
from rota.models import Shift

from .admin_helpers import page_data
from .factories import OverrideFactory, RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

KOLKATA = 'data-admin-utc-offset="19800"'
UTC = 'data-admin-utc-offset="0"'
START = datetime.datetime(2030, 1, 7, 3, 30, tzinfo=datetime.UTC)  # 09:00 in Kolkata


@pytest.fixture
def kolkata():
    return RotationFactory(name="Bengaluru on-call", timezone="Asia/Kolkata")


def test_shift_change_page_gives_now_in_the_rotations_zone(admin_client, kolkata):
    shift = ShiftFactory(rotation=kolkata, start=START)

    page = admin_client.get(f"/admin/rota/shift/{shift.pk}/change/").content.decode()

    assert KOLKATA in page
    # The form still shows the rotation's wall clock, not converted twice (09:00, not 14:30).
    assert 'value="09:00:00"' in page


def test_override_change_page_gives_now_in_the_rotations_zone(admin_client, kolkata):
    override = OverrideFactory(rotation=kolkata, start=START)
    page = admin_client.get(f"/admin/rota/override/{override.pk}/change/").content.decode()
    assert KOLKATA in page


def test_add_page_with_a_chosen_rotation_gives_its_zone(admin_client, kolkata):
    for model in ("shift", "override"):
        page = admin_client.get(f"/admin/rota/{model}/add/?rotation={kolkata.pk}")
        assert KOLKATA in page.content.decode(), model


def test_add_page_without_a_rotation_gives_the_site_zone(admin_client, kolkata):
    for model in ("shift", "override"):
        page = admin_client.get(f"/admin/rota/{model}/add/").content.decode()
        assert UTC in page, model


def test_a_refused_add_form_keeps_the_posted_rotations_zone(admin_client, kolkata):
    response = admin_client.post(
        "/admin/rota/shift/add/",
        {"rotation": kolkata.pk, "start_0": "2030-01-07", "start_1": "09:00"},  # no end
    )
    assert response.status_code == 200
    assert KOLKATA in response.content.decode()


def test_saving_in_the_rotations_zone_stores_the_right_instant(admin_client, kolkata):
    # 10:00 typed on a Kolkata rotation is 04:30 UTC, converted once, not twice.
    shift = ShiftFactory(rotation=kolkata, start=START)
    url = f"/admin/rota/shift/{shift.pk}/change/"
    data = page_data(admin_client.get(url), start_1="10:00:00")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Shift.objects.get(pk=shift.pk).start == START + datetime.timedelta(hours=1)


def test_other_admin_pages_keep_the_site_zone(admin_client, kolkata):
    page = admin_client.get(f"/admin/rota/rotation/{kolkata.pk}/change/").content.decode()
    assert UTC in page


# --- The shift and override lists open on what is to come -----------------------------------


def result_ids(response):
    return [obj.pk for obj in response.context["cl"].result_list]


@pytest.mark.parametrize("factory", [ShiftFactory, OverrideFactory])
def test_lists_open_on_what_is_running_or_to_come_soonest_first(admin_client, kolkata, factory):
    now = timezone.now()
    week = datetime.timedelta(days=7)
    old = factory(rotation=kolkata, start=now - 3 * week, end=now - 2 * week)
    older = factory(rotation=kolkata, start=now - 5 * week, end=now - 4 * week)
    running = factory(rotation=kolkata, start=now - datetime.timedelta(days=1), end=now + week)
    later = factory(rotation=kolkata, start=now + 2 * week, end=now + 3 * week)
    url = f"/admin/rota/{factory._meta.model._meta.model_name}/"

    # By default: the running one, then the later one; the past is left out.
    assert result_ids(admin_client.get(url)) == [running.pk, later.pk]
    # The past reads newest first; "all" in time order.
    assert result_ids(admin_client.get(url, {"when": "past"})) == [old.pk, older.pk]
    assert result_ids(admin_client.get(url, {"when": "all"})) == [
        older.pk,
        old.pk,
        running.pk,
        later.pk,
    ]
    # A day picked in the "starts on" filter shows that day, past or not.
    day = (now - 3 * week).astimezone(zone("Asia/Kolkata")).date().isoformat()
    assert result_ids(admin_client.get(url, {"start_day": day})) == [old.pk]


def test_the_shifts_api_keeps_its_own_order(admin_user, make_client, kolkata):
    now = timezone.now()
    old = ShiftFactory(rotation=kolkata, start=now - 14 * ONE_DAY, end=now - 7 * ONE_DAY)
    later = ShiftFactory(rotation=kolkata, start=now + 7 * ONE_DAY, end=now + 14 * ONE_DAY)
    body = make_client(admin_user).get("/api/v1/shifts/", {"rotation": kolkata.pk}).json()
    ids = [row["id"] for row in body.get("results", body)]
    assert ids == [old.pk, later.pk]
