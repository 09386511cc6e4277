# ruff: noqa: F811 - test_leave's fixtures are imported, then asked for by name
"""Saving leave says what it changed: the covers and swaps made (names, rotation, local
times) and any clash left uncovered, in the admin (add and change) and on My rota.

The organisation is test_leave's: weekly Payments on-call (Europe/London, GMT in January) of
alice, bob, carol, dave from Monday 7 January 2030 09:00; carol holds week 3 (21-28 Jan),
dave week 4 (28 Jan-4 Feb). The clock stands at 1 January 2030.
"""

import pytest

from rota.models import Unavailability
from tests.ownership.factories import UserFactory

from .factories import RotationFactory, ShiftFactory
from .test_leave import at, clock, org  # noqa: F401 - the fixtures of that organisation

pytestmark = pytest.mark.django_db

# One Wednesday away: dave, next after carol and free, covers midnight to midnight London.
COVER = "Dave Smith covers Payments on-call Wed 23 Jan 00:00–Thu 24 Jan 00:00 GMT."
# Her whole week away: swapped with dave's week 4 (he is free in week 3, she in week 4).
SWAP = (
    "Swapped turns in Payments on-call: Dave Smith now holds Mon 21 Jan 09:00–Mon 28 Jan "
    "09:00 GMT, Carol Smith Mon 28 Jan 09:00–Mon 4 Feb 09:00 GMT."
)
UNCOVERED = "carol is away 23 Jan - 23 Jan (Leave) but on duty in Payments on-call from 23 Jan"


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def leave(org, first, last):
    return {
        "user": org["carol"].pk,
        "start_date": first,
        "end_date": last,
        "kind": "leave",
        "reason": "",
    }


@pytest.fixture
def admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def everyone_busy(org):
    """Alice, bob and dave are on call elsewhere all that week: nobody can cover carol."""
    for index, name in enumerate(("alice", "bob", "dave")):
        ShiftFactory(
            rotation=RotationFactory(name=f"Search {index}"), user=org[name], start=at(21, 1, 9)
        )


def test_admin_add_lists_the_cover_made(org, admin):
    response = admin.post(
        "/admin/rota/unavailability/add/", leave(org, "2030-01-23", "2030-01-23"), follow=True
    )
    assert any(COVER in text for text in messages_of(response)), messages_of(response)


def test_admin_add_lists_the_swap_made(org, admin):
    response = admin.post(
        "/admin/rota/unavailability/add/", leave(org, "2030-01-21", "2030-01-27"), follow=True
    )
    assert any(SWAP in text for text in messages_of(response)), messages_of(response)


def test_admin_change_lists_what_the_new_dates_did(org, admin):
    admin.post("/admin/rota/unavailability/add/", leave(org, "2030-01-23", "2030-01-23"))
    entry = Unavailability.objects.get()
    # Moved to Thursday: the Wednesday cover goes, dave covers Thursday instead.
    response = admin.post(
        f"/admin/rota/unavailability/{entry.pk}/change/",
        leave(org, "2030-01-24", "2030-01-24"),
        follow=True,
    )
    texts = messages_of(response)
    assert any(
        "Dave Smith covers Payments on-call Thu 24 Jan 00:00–Fri 25 Jan 00:00 GMT." in t
        for t in texts
    ), texts


def test_admin_warns_of_a_clash_left_uncovered_on_save_and_on_the_change_page(
    org, admin, everyone_busy
):
    response = admin.post(
        "/admin/rota/unavailability/add/", leave(org, "2030-01-23", "2030-01-23"), follow=True
    )
    assert any(UNCOVERED in text for text in messages_of(response)), messages_of(response)

    entry = Unavailability.objects.get()
    page = admin.get(f"/admin/rota/unavailability/{entry.pk}/change/")
    assert any(UNCOVERED in text for text in messages_of(page)), messages_of(page)


def test_admin_change_page_of_covered_leave_has_no_warning(org, admin):
    admin.post("/admin/rota/unavailability/add/", leave(org, "2030-01-23", "2030-01-23"))
    entry = Unavailability.objects.get()
    page = admin.get(f"/admin/rota/unavailability/{entry.pk}/change/")
    assert not any("on duty in" in text for text in messages_of(page))


def test_my_rota_leave_form_lists_the_cover_made(org, client):
    client.force_login(org["carol"])
    response = client.post(
        "/me/leave/", {"start_date": "2030-01-23", "end_date": "2030-01-23"}, follow=True
    )
    texts = messages_of(response)
    assert any("Your leave is recorded." in t and COVER in t for t in texts), texts


def test_my_rota_leave_form_warns_of_a_clash_left_uncovered(org, client, everyone_busy):
    client.force_login(org["carol"])
    response = client.post(
        "/me/leave/", {"start_date": "2030-01-23", "end_date": "2030-01-23"}, follow=True
    )
    texts = messages_of(response)
    assert (
        "Nobody is free to cover Carol Smith in Payments on-call Mon 21 Jan 09:00–Mon 28 Jan "
        "09:00 GMT; add an override or reassign the shift." in texts
    ), texts


def test_reloading_my_rota_after_a_refused_action_goes_back_to_the_page(org, client):
    client.force_login(org["carol"])
    # A refused leave form is shown at /me/leave/ (400); the browser's reload is a GET.
    refused = client.post("/me/leave/", {"start_date": "2030-01-24", "end_date": "2030-01-23"})
    assert refused.status_code == 400
    reload = client.get("/me/leave/")
    assert (reload.status_code, reload["Location"]) == (302, "/me/")
    # The same for every My rota action shown at its own address after a refusal.
    shift = org["rotation"].shifts.first()
    for path in [f"/me/shifts/{shift.pk}/offer/", "/me/swaps/1/take/", "/me/leave/1/delete/"]:
        answer = client.get(path)
        assert (answer.status_code, answer["Location"]) == (302, "/me/"), path
    # Other methods are still refused.
    assert client.put("/me/leave/").status_code == 405
