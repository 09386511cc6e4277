import datetime

import pytest
from django.utils import timezone

from rota.models import Override, Shift, ShiftChange, SwapRequest, Unavailability
from tests.ownership.factories import TeamFactory, UserFactory

from .admin_helpers import page_data
from .factories import (
    OverrideFactory,
    RotationFactory,
    ShiftFactory,
    SwapRequestFactory,
    TeamRotationFactory,
    UnavailabilityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


SHIFTS = "/admin/rota/shift/"
UTC = datetime.UTC
MONDAY = datetime.datetime(2030, 1, 7, 9, tzinfo=UTC)
WEEK = datetime.timedelta(days=7)


def _edit(admin_client, shift, **changes):
    page = admin_client.get(f"{SHIFTS}{shift.pk}/change/")
    return admin_client.post(f"{SHIFTS}{shift.pk}/change/", page_data(page, **changes))


def test_shift_list_filters_by_rotation_team_person_and_date(admin_client):
    # The "by team" and "by user" filters offer the teams and people of the turn orders.
    ana, team = UserFactory(username="ana"), TeamFactory()
    rotation = RotationFactory(name="Payments on-call", participants=[ana])
    ShiftFactory(rotation=rotation, user=ana, start=MONDAY)
    turns = TeamRotationFactory(participants=[team])
    ShiftFactory(rotation=turns, team=team, user=None, start=MONDAY)
    checks = [
        ({"rotation__id__exact": rotation.pk}, 1),
        ({"user__id__exact": ana.pk}, 1),
        ({"start__year": "2030", "start__month": "1"}, 2),
        ({"start__year": "2031"}, 0),
        ({"edited__exact": "0"}, 2),
    ]
    for query, count in checks:
        response = admin_client.get(SHIFTS, query)
        assert response.status_code == 200, query
        assert response.context["cl"].result_count == count, query
    html = admin_client.get(SHIFTS).content.decode()
    for title in ("By rotation", "By team", "By user", "By edited"):
        assert title in html


def test_editing_a_shift_goes_through_the_service(admin_client):
    ana, bo = UserFactory(), UserFactory()
    shift = ShiftFactory(user=ana, start=MONDAY)

    response = _edit(admin_client, shift, user=bo.pk)

    assert response.status_code == 302, response.context["errors"]
    shift.refresh_from_db()
    assert (shift.user, shift.edited, shift.sequence) == (bo, True, 1)
    change = ShiftChange.objects.get(shift=shift)
    assert change.action == "updated"
    assert change.changed_by.is_superuser
    assert (change.old["user"], change.new["user"]) == (ana.pk, bo.pk)


def test_saving_an_unchanged_shift_does_not_mark_it_edited(admin_client):
    shift = ShiftFactory(start=MONDAY)
    assert _edit(admin_client, shift).status_code == 302
    shift.refresh_from_db()
    assert not shift.edited
    assert not ShiftChange.objects.exists()


def test_an_overlapping_edit_shows_the_error_on_the_form(admin_client):
    rotation = RotationFactory()
    first = ShiftFactory(rotation=rotation, start=MONDAY)
    second = ShiftFactory(rotation=rotation, start=MONDAY + WEEK)

    response = _edit(admin_client, second, start_0="2030-01-10", start_1="09:00:00")

    assert response.status_code == 200
    form = response.context["adminform"].form
    expected = (
        f"This shift overlaps {first.user.get_full_name() or first.user.username}'s shift "
        f"Mon 7 Jan 09:00–Mon 14 Jan 09:00 (Europe/London) on {rotation.name}."
    )
    assert form.errors["start"] == [expected]
    assert expected.replace("'", "&#x27;") in response.content.decode()
    second.refresh_from_db()
    assert second.start == MONDAY + WEEK and not second.edited
    assert not ShiftChange.objects.exists()


def test_an_end_before_the_start_shows_on_the_form(admin_client):
    shift = ShiftFactory(start=MONDAY)
    response = _edit(admin_client, shift, end_0="2030-01-06", end_1="09:00:00")
    assert response.status_code == 200
    assert "end" in response.context["adminform"].form.errors


def test_adding_an_overlapping_shift_is_refused_on_the_form(admin_client):
    existing = ShiftFactory(start=MONDAY)
    page = admin_client.get(f"{SHIFTS}add/")
    data = page_data(
        page,
        rotation=existing.rotation_id,
        start_0="2030-01-08",
        start_1="09:00:00",
        end_0="2030-01-09",
        end_1="09:00:00",
        user=UserFactory().pk,
    )
    response = admin_client.post(f"{SHIFTS}add/", data)
    assert response.status_code == 200
    assert "overlaps" in str(response.context["adminform"].form.errors)
    assert Shift.objects.count() == 1


def test_adding_a_shift_records_who_did_it(admin_client):
    rotation = RotationFactory()
    page = admin_client.get(f"{SHIFTS}add/")
    data = page_data(
        page,
        rotation=rotation.pk,
        start_0="2030-01-08",
        start_1="09:00:00",
        end_0="2030-01-09",
        end_1="09:00:00",
        user=UserFactory().pk,
    )
    response = admin_client.post(f"{SHIFTS}add/", data)
    assert response.status_code == 302, response.context["errors"]
    shift = Shift.objects.get()
    assert shift.edited
    assert ShiftChange.objects.get(shift=shift).action == "created"


def test_deleting_a_shift_keeps_an_audit_row(admin_client):
    shift = ShiftFactory(start=MONDAY)
    response = admin_client.post(f"{SHIFTS}{shift.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert ShiftChange.objects.get(shift_ref=shift.pk).action == "deleted"


def test_shift_page_shows_its_history(admin_client):
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    shift = ShiftFactory(user=ana, start=MONDAY)
    _edit(admin_client, shift, user=bo.pk)
    html = admin_client.get(f"{SHIFTS}{shift.pk}/change/").content.decode()
    assert "history of this shift" in html.lower()
    assert "user: ana → bo" in html


def test_audit_trail_is_read_only_and_readable(admin_client):
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    shift = ShiftFactory(user=ana, start=MONDAY)
    _edit(admin_client, shift, user=bo.pk)

    response = admin_client.get("/admin/rota/shiftchange/")

    assert response.status_code == 200
    assert "user: ana → bo" in response.content.decode()
    change = ShiftChange.objects.get()
    assert admin_client.get("/admin/rota/shiftchange/add/").status_code == 403
    post = admin_client.post(f"/admin/rota/shiftchange/{change.pk}/change/", {"note": "x"})
    assert post.status_code == 403
    assert admin_client.post(f"/admin/rota/shiftchange/{change.pk}/delete/").status_code == 403


def test_audit_list_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries
):
    rotation = RotationFactory()
    for n in range(30):
        shift = ShiftFactory(rotation=rotation, start=MONDAY + n * WEEK)
        ShiftChange.objects.create(
            shift=shift,
            shift_ref=shift.pk,
            rotation=rotation,
            action="updated",
            old={"user": shift.user_id},
            new={"user": UserFactory().pk},
        )
    with django_assert_max_num_queries(15):
        assert admin_client.get("/admin/rota/shiftchange/").status_code == 200


def test_override_admin_refuses_an_overlap_on_the_form(admin_client):
    existing = OverrideFactory()  # 2024-01-02 09:00-17:00 UTC
    page = admin_client.get("/admin/rota/override/add/")
    data = page_data(
        page,
        rotation=existing.rotation_id,
        start_0=existing.start.date().isoformat(),
        start_1="10:00:00",
        end_0=existing.start.date().isoformat(),
        end_1="20:00:00",  # sticks out of the existing one: a partial overlap
        user=UserFactory().pk,
    )
    response = admin_client.post("/admin/rota/override/add/", data)
    assert response.status_code == 200
    assert "Overlaps the override of" in str(response.context["adminform"].form.errors)
    assert Override.objects.count() == 1


def test_leave_that_clashes_with_a_shift_is_warned_about(admin_client):
    ana = UserFactory(username="ana")
    start = timezone.now() + datetime.timedelta(days=2)
    rotation = RotationFactory()
    ShiftFactory(rotation=rotation, user=ana, start=start, end=start + WEEK)
    page = admin_client.get("/admin/rota/unavailability/add/")
    day = (start + datetime.timedelta(days=2)).date().isoformat()
    data = page_data(page, user=ana.pk, start_date=day, end_date=day, reason="Dentist")

    response = admin_client.post("/admin/rota/unavailability/add/", data, follow=True)

    assert response.status_code == 200
    assert Unavailability.objects.filter(user=ana).exists()
    assert "ana is away" in response.content.decode().lower()


def test_the_leave_list_opens_on_the_latest_leave(admin_client):
    # 120 entries of older leave (more than a page of 100) and one entered later for next
    # year: the list shows the latest first, so the new entry is the first row of page one,
    # and entries starting the same day come newest first.
    for days in range(120):
        day = datetime.date(2029, 1, 1) + datetime.timedelta(days=days)
        UnavailabilityFactory(start_date=day, end_date=day)
    later = datetime.date(2031, 5, 5)
    same_day = [UnavailabilityFactory(start_date=later, end_date=later) for _ in range(2)]

    response = admin_client.get("/admin/rota/unavailability/")

    shown = list(response.context["cl"].result_list)
    assert shown[:2] == [same_day[1], same_day[0]]
    assert len(shown) == 100
    assert [entry.start_date for entry in shown] == sorted(
        (entry.start_date for entry in shown), reverse=True
    )


def test_leave_form_refuses_an_end_before_the_start(admin_client):
    page = admin_client.get("/admin/rota/unavailability/add/")
    data = page_data(page, user=UserFactory().pk, start_date="2030-01-10", end_date="2030-01-01")
    response = admin_client.post("/admin/rota/unavailability/add/", data)
    assert response.status_code == 200
    assert not Unavailability.objects.exists()


def test_approve_action_hands_over_taken_swaps(admin_client):
    owner, taker = UserFactory(), UserFactory()
    rotation = RotationFactory(participants=[owner, taker], swaps_require_approval=True)
    shift = ShiftFactory(rotation=rotation, user=owner, start=MONDAY)
    taken = SwapRequestFactory(shift=shift, status="taken", taken_by=taker, requires_approval=True)
    offered = SwapRequestFactory(
        shift=ShiftFactory(rotation=rotation, user=owner, start=MONDAY + WEEK)
    )

    response = admin_client.post(
        "/admin/rota/swaprequest/",
        {"action": "approve", "_selected_action": [taken.pk, offered.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "Approved 1 swap" in html
    assert f"Not approved: #{offered.pk}" in html
    taken.refresh_from_db()
    shift.refresh_from_db()
    assert taken.status == "approved" and shift.user == taker
    assert SwapRequest.objects.get(pk=offered.pk).status == "offered"


def test_swaps_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/rota/swaprequest/add/").status_code == 403


def test_non_staff_cannot_approve_swaps(client):
    swap = SwapRequestFactory(status="taken", taken_by=UserFactory(), requires_approval=True)
    client.force_login(UserFactory())
    response = client.post(
        "/admin/rota/swaprequest/", {"action": "approve", "_selected_action": [swap.pk]}
    )
    assert response.status_code == 302
    assert SwapRequest.objects.get(pk=swap.pk).status == "taken"
