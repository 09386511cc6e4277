"""The admin's "Now" shortcut fills in the wall clock of the zone the form's times are read in.

Django's DateTimeShortcuts.js take the server's offset from ``<body data-admin-utc-offset>``
(seconds east of UTC, from the active zone). Shift and override forms read their times in the
rotation's zone, so their pages render with that zone active: Asia/Kolkata is UTC+05:30, i.e.
19800 s, all year; Europe/London in January is GMT, 0 s. An add page without a chosen rotation
uses the site's zone (UTC, 0 s), as does every other admin page.
"""

import datetime

import pytest

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
