"""Swaps: approval switched on covers open offers, managers hear of waiting swaps, takers
can withdraw.

The organisation: team Payments with owner (who offers a shift), taker and other (engineers)
and maria (manager); a weekly rotation of owner, taker and other; owner's shift runs from
Monday 7 January 2030 09:00 UTC for a week.
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import ChangeNotice
from rota import services
from rota.models import Shift, SwapRequest
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/swaps/"
START = datetime.datetime(2030, 1, 7, 9, tzinfo=datetime.UTC)


@pytest.fixture
def org():
    team = TeamFactory(name="Payments")
    people = {
        name: MembershipFactory(
            team=team, user=UserFactory(username=name, first_name=name.title(), last_name="Lee")
        ).user
        for name in ("owner", "taker", "other")
    }
    maria = MembershipFactory(
        team=team, role="manager", user=UserFactory(username="maria", first_name="Maria")
    ).user
    rotation = RotationFactory(
        name="Payments on-call",
        team=team,
        participants=[people["owner"], people["taker"], people["other"]],
    )
    shift = ShiftFactory(rotation=rotation, user=people["owner"], start=START)
    return {"team": team, "rotation": rotation, "shift": shift, "maria": maria, **people}


def offer(org, make_client):
    response = make_client(org["owner"]).post(URL, {"shift": org["shift"].pk}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def holder(org):
    return Shift.objects.get(pk=org["shift"].pk).user.username


# --- Approval switched on while an offer is open ----------------------------------------------


def test_switching_approval_on_covers_an_offer_already_open(org, make_client):
    swap_id = offer(org, make_client)  # approval is off when it is offered
    response = make_client(org["maria"]).patch(
        f"/api/v1/rotations/{org['rotation'].pk}/",
        {"swaps_require_approval": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert make_client(org["other"]).get(f"{URL}{swap_id}/").json()["requires_approval"] is True

    taken = make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    # It waits for maria: the shift has not changed hands.
    assert taken.status_code == 200, taken.content
    assert (taken.json()["status"], taken.json()["requires_approval"]) == ("taken", True)
    assert holder(org) == "owner"


def test_switching_approval_off_lets_an_open_offer_change_hands_at_once(org, make_client):
    org["rotation"].swaps_require_approval = True
    org["rotation"].save()
    swap_id = offer(org, make_client)
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=False)

    taken = make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    assert taken.json()["status"] == "approved"
    assert holder(org) == "taker"


# --- Managers hear of a swap waiting for approval ---------------------------------------------


def test_a_manager_is_told_when_a_swap_waits_for_approval(org, make_client):
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=True)
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    notification_services.change_notices_collect(now=timezone.now())

    # Only maria (the team's manager) hears; the shift itself has not changed yet.
    notices = list(ChangeNotice.objects.select_related("user"))
    assert [(n.user.username, n.summary["kind"], n.summary["swap"]) for n in notices] == [
        ("maria", "swap", swap_id)
    ]
    assert notices[0].summary["taken_by"] == "Taker Lee"
    assert notices[0].starts_at == START
    # Collecting again records nothing new.
    assert notification_services.change_notices_collect(now=timezone.now()) == 0


def test_the_managers_message_says_who_took_what_and_that_it_waits(
    org, make_client, django_capture_on_commit_callbacks
):
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=True)
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    first = timezone.now() + datetime.timedelta(minutes=1)
    for at in (first, first + datetime.timedelta(minutes=7)):  # record, then send the batch
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            notification_services.notifications_scan(now=at, enqueue=enqueued.extend)
        for delivery_id in enqueued:
            notification_services.delivery_send(delivery_id=delivery_id, now=at)

    assert [m.to[0] for m in mail.outbox] == [org["maria"].email]
    body = mail.outbox[0].body
    assert "Payments on-call: Taker Lee took the shift " in body
    assert "offered by Owner Lee; it waits for your approval" in body


def test_no_manager_notice_when_no_approval_is_needed(org, make_client):
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    notification_services.change_notices_collect(now=timezone.now())

    assert not ChangeNotice.objects.filter(user=org["maria"]).exists()


# --- The taker withdraws ----------------------------------------------------------------------


def test_withdrawing_before_approval_opens_the_offer_again(org, make_client):
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=True)
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    response = make_client(org["taker"]).post(f"{URL}{swap_id}/withdraw/")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["taken_by"]) == ("offered", None)
    assert holder(org) == "owner"
    # Nothing waits for maria any more, and someone else can take the offer.
    assert make_client(org["maria"]).post(f"{URL}{swap_id}/approve/").status_code == 409
    again = make_client(org["other"]).post(f"{URL}{swap_id}/take/")
    assert (again.json()["status"], again.json()["taken_by"]) == ("taken", "other")


def test_withdrawing_an_unapproved_hand_over_gives_the_shift_back(org, make_client):
    swap_id = offer(org, make_client)  # no approval needed: the shift changes hands at once
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")
    assert holder(org) == "taker"

    response = make_client(org["taker"]).post(f"{URL}{swap_id}/withdraw/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert holder(org) == "owner"
    # The owner is told the shift came back (the taker did it, so is not told).
    notification_services.change_notices_collect(now=timezone.now())
    back = ChangeNotice.objects.filter(user=org["owner"]).order_by("pk").last()
    assert back.summary["new"]["who"] == "Owner Lee"
    assert back.summary["old"]["who"] == "Taker Lee"
    assert back.summary["note"] == f"swap {swap_id} withdrawn"


def test_withdrawing_after_the_shift_started_is_refused(org, make_client):
    started = ShiftFactory(
        rotation=org["rotation"],
        user=org["owner"],
        start=timezone.now() - datetime.timedelta(hours=1),
    )
    swap = services.swap_offer(
        shift=started, by=org["owner"], now=timezone.now() - datetime.timedelta(hours=2)
    )
    services.swap_take(swap=swap, by=org["taker"], now=timezone.now() - datetime.timedelta(hours=2))

    response = make_client(org["taker"]).post(f"{URL}{swap.pk}/withdraw/")

    assert response.status_code == 409
    assert "The shift has started" in response.json()["detail"]
    assert Shift.objects.get(pk=started.pk).user == org["taker"]


def test_withdrawing_after_a_manager_approved_is_refused(org, make_client):
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=True)
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")
    make_client(org["maria"]).post(f"{URL}{swap_id}/approve/")

    response = make_client(org["taker"]).post(f"{URL}{swap_id}/withdraw/")

    assert response.status_code == 409
    assert "A manager approved this swap" in response.json()["detail"]
    assert holder(org) == "taker"


@pytest.mark.parametrize("who", ["owner", "other", "maria"])
def test_only_the_taker_may_withdraw(org, make_client, who):
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")

    response = make_client(org[who]).post(f"{URL}{swap_id}/withdraw/")

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the person who took this shift can withdraw it."
    assert holder(org) == "taker"
    assert SwapRequest.objects.get(pk=swap_id).status == "approved"


def test_an_offer_nobody_took_cannot_be_withdrawn(org, make_client):
    swap_id = offer(org, make_client)
    response = make_client(org["taker"]).post(f"{URL}{swap_id}/withdraw/")
    assert response.status_code == 403


def test_the_service_refuses_anyone_but_the_taker(org):
    from django.core.exceptions import PermissionDenied

    swap = services.swap_offer(shift=org["shift"], by=org["owner"])
    services.swap_take(swap=swap, by=org["taker"])
    with pytest.raises(PermissionDenied):
        services.swap_withdraw(swap=swap, by=org["other"])


# --- The My rota page -------------------------------------------------------------------------


def test_my_rota_offers_to_give_back_a_shift_i_took_and_does_it(org, client):
    swap = services.swap_offer(shift=org["shift"], by=org["owner"])
    services.swap_take(swap=swap, by=org["taker"])
    client.force_login(org["taker"])

    page = client.get("/me/").content.decode()
    assert f"/me/swaps/{swap.pk}/withdraw/" in page
    assert "Give it back" in page

    response = client.post(f"/me/swaps/{swap.pk}/withdraw/")
    assert response.status_code == 302
    assert holder(org) == "owner"


def test_my_rota_withdraws_a_swap_waiting_for_approval(org, client):
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=True)
    swap = services.swap_offer(shift=org["shift"], by=org["owner"])
    services.swap_take(swap=swap, by=org["taker"])
    client.force_login(org["taker"])
    assert f"/me/swaps/{swap.pk}/withdraw/" in client.get("/me/").content.decode()

    client.post(f"/me/swaps/{swap.pk}/withdraw/")

    swap.refresh_from_db()
    assert (swap.status, swap.taken_by) == ("offered", None)


def test_my_rota_refuses_a_withdrawal_by_someone_else(org, client):
    swap = services.swap_offer(shift=org["shift"], by=org["owner"])
    services.swap_take(swap=swap, by=org["taker"])
    client.force_login(org["other"])

    response = client.post(f"/me/swaps/{swap.pk}/withdraw/")

    # The page answers what the API answers anyone but the taker: 403.
    assert response.status_code == 403
    assert holder(org) == "taker"


def test_a_withdrawal_before_approval_tells_the_offerer_and_the_managers(
    org, make_client, django_capture_on_commit_callbacks
):
    # Approval on; owner offers, taker takes (maria hears it waits), then taker withdraws.
    # Who must hear of the withdrawal: owner (their shift is on offer again) and maria (the
    # request she was told about is gone) - not taker, who did it, and not other.
    services.rotation_update(rotation=org["rotation"], swaps_require_approval=True)
    swap_id = offer(org, make_client)
    make_client(org["taker"]).post(f"{URL}{swap_id}/take/")
    notification_services.change_notices_collect(now=timezone.now())
    response = make_client(org["taker"]).post(f"{URL}{swap_id}/withdraw/")
    assert response.status_code == 200, response.content

    first = timezone.now() + datetime.timedelta(minutes=1)
    assert notification_services.change_notices_collect(now=first) == 2
    withdrawn = ChangeNotice.objects.filter(summary__action="withdrawn").select_related("user")
    assert sorted(n.user.username for n in withdrawn) == ["maria", "owner"]
    assert notification_services.change_notices_collect(now=first) == 0  # recorded once

    for at in (first, first + datetime.timedelta(minutes=7)):  # record, then send the batch
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            notification_services.notifications_scan(now=at, enqueue=enqueued.extend)
        for delivery_id in enqueued:
            notification_services.delivery_send(delivery_id=delivery_id, now=at)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert set(bodies) == {org["maria"].email, org["owner"].email}
    for body in bodies.values():
        assert "Payments on-call: Taker Lee withdrew from taking the shift " in body
        assert "offered by Owner Lee; it is on offer again" in body
