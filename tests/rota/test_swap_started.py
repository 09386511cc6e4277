"""A swap hands over only what is still to come: a started shift is not offered, taken or
approved (409), whichever way it is asked (API, My rota, admin); the approver is warned when
a swap gives the taker three turns in a row.

The organisation: team Payments with kwame (who holds the shift), alice and bob (engineers)
and maria (manager); a weekly rotation (Europe/London) of kwame, alice and bob. The shift
started yesterday 09:00 UTC and runs for a week, so it is kwame's on-call now.
"""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from core.exceptions import NotAllowed
from core.timeutil import wall_clock
from rota import services
from rota.models import Shift, SwapRequest
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/swaps/"
WEEK = datetime.timedelta(days=7)


@pytest.fixture
def org():
    team = TeamFactory(name="Payments")
    people = {
        name: MembershipFactory(
            team=team, user=UserFactory(username=name, first_name=name.title(), last_name="Lee")
        ).user
        for name in ("kwame", "alice", "bob")
    }
    maria = MembershipFactory(
        team=team,
        role="manager",
        user=UserFactory(username="maria", first_name="Maria", is_staff=True),
    ).user
    rotation = RotationFactory(
        name="Payments on-call",
        team=team,
        participants=[people["kwame"], people["alice"], people["bob"]],
    )
    today = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    start = today - datetime.timedelta(days=1)
    shift = ShiftFactory(rotation=rotation, user=people["kwame"], start=start, end=start + WEEK)
    return {"team": team, "rotation": rotation, "shift": shift, "maria": maria, **people}


def started_text(shift):
    # The start in the rotation's zone, e.g. "Sun 29 Nov 09:00 GMT".
    when = wall_clock(shift.start, "Europe/London", "%a %d %b %H:%M")
    return f"The shift started on {when}; ask for a cover (override) for the rest of it."


def holder(org):
    return Shift.objects.get(pk=org["shift"].pk).user.username


def taken_before_start(org, *, approval):
    """Offer and take the shift while it was still to come (an hour and half an hour before)."""
    org["rotation"].swaps_require_approval = approval
    org["rotation"].save()
    shift = org["shift"]
    swap = services.swap_offer(
        shift=shift, by=org["kwame"], now=shift.start - datetime.timedelta(hours=1)
    )
    return swap


def test_offering_a_started_shift_is_refused_with_409_and_nothing_is_offered(org, make_client):
    response = make_client(org["kwame"]).post(URL, {"shift": org["shift"].pk}, format="json")

    assert response.status_code == 409, response.content
    assert started_text(org["shift"]) in response.content.decode()
    assert not SwapRequest.objects.exists()


def test_taking_an_offer_once_the_shift_started_is_refused_and_the_shift_stays(org, make_client):
    swap = taken_before_start(org, approval=False)  # offered while still to come

    response = make_client(org["alice"]).post(f"{URL}{swap.pk}/take/")

    assert response.status_code == 409, response.content
    assert started_text(org["shift"]) in response.json()["detail"]
    assert holder(org) == "kwame"
    assert SwapRequest.objects.get(pk=swap.pk).status == "offered"


def test_approving_once_the_shift_started_is_refused_and_the_past_stays_kwames(org, make_client):
    swap = taken_before_start(org, approval=True)
    services.swap_take(swap=swap, by=org["alice"], now=org["shift"].start - datetime.timedelta(1))

    response = make_client(org["maria"]).post(f"{URL}{swap.pk}/approve/")

    assert response.status_code == 409, response.content
    assert started_text(org["shift"]) in response.json()["detail"]
    assert holder(org) == "kwame"
    assert SwapRequest.objects.get(pk=swap.pk).status == "taken"  # left for maria to reject


def test_admin_approve_action_refuses_a_started_shift(org, client):
    swap = taken_before_start(org, approval=True)
    services.swap_take(swap=swap, by=org["alice"], now=org["shift"].start - datetime.timedelta(1))
    org["maria"].user_permissions.add(*Permission.objects.filter(codename__endswith="swaprequest"))
    client.force_login(org["maria"])

    response = client.post(
        "/admin/rota/swaprequest/",
        {"action": "approve", "_selected_action": [swap.pk]},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert any(started_text(org["shift"]) in text for text in texts), texts
    assert holder(org) == "kwame"


def test_my_rota_does_not_offer_a_started_shift_and_refuses_the_post(org, client):
    client.force_login(org["kwame"])

    page = client.get("/me/").content.decode()
    assert f'action="/me/shifts/{org["shift"].pk}/offer/"' not in page
    assert "ask a manager for a cover" in page

    response = client.post(f"/me/shifts/{org['shift'].pk}/offer/")
    # The same 409 the API answers for a started shift (the page shows the reason).
    assert response.status_code == 409
    assert started_text(org["shift"]) in response.content.decode()
    assert not SwapRequest.objects.exists()


def test_a_coming_shift_can_still_be_offered(org, make_client):
    # Control: the shift after kwame's, alice's, is still to come.
    coming = ShiftFactory(
        rotation=org["rotation"],
        user=org["alice"],
        start=org["shift"].end,
        end=org["shift"].end + WEEK,
    )
    response = make_client(org["alice"]).post(URL, {"shift": coming.pk}, format="json")
    assert response.status_code == 201, response.content
    swap = SwapRequest.objects.get()
    assert (swap.shift_id, swap.offered_by) == (coming.pk, org["alice"])
    assert response.json()["id"] == swap.pk


# --- Three turns in a row ------------------------------------------------------------------


@pytest.fixture
def run_org(org):
    """Turns to come: alice, kwame (offered to alice, waiting for approval), alice.

    Approving gives alice three turns in a row: she holds the turn before and the turn after.
    """
    rotation, first = org["rotation"], org["shift"].end
    ShiftFactory(rotation=rotation, user=org["alice"], start=first, end=first + WEEK)
    middle = ShiftFactory(
        rotation=rotation, user=org["kwame"], start=first + WEEK, end=first + 2 * WEEK
    )
    ShiftFactory(rotation=rotation, user=org["alice"], start=first + 2 * WEEK, end=first + 3 * WEEK)
    rotation.swaps_require_approval = True
    rotation.save()
    swap = services.swap_offer(shift=middle, by=org["kwame"])
    services.swap_take(swap=swap, by=org["alice"])
    return {**org, "swap": swap, "middle": middle}


RUN_TEXT = "Alice Lee would hold 3 turns in a row of Payments on-call."


def test_my_rota_approvals_warn_of_three_turns_in_a_row(run_org, client):
    client.force_login(run_org["maria"])
    assert RUN_TEXT in client.get("/me/").content.decode()


def test_admin_approve_action_warns_of_three_turns_in_a_row(run_org, client):
    maria = run_org["maria"]
    maria.user_permissions.add(*Permission.objects.filter(codename__endswith="swaprequest"))
    client.force_login(maria)

    response = client.post(
        "/admin/rota/swaprequest/",
        {"action": "approve", "_selected_action": [run_org["swap"].pk]},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert any(RUN_TEXT in text for text in texts), texts
    assert Shift.objects.get(pk=run_org["middle"].pk).user == run_org["alice"]  # still approved


def test_no_warning_when_the_taker_does_not_get_a_run(run_org, client):
    # bob takes instead: bob holds neither neighbour, so there is no run to warn of.
    SwapRequest.objects.filter(pk=run_org["swap"].pk).update(taken_by=run_org["bob"])
    client.force_login(run_org["maria"])
    page = client.get("/me/").content.decode()
    assert "turns in a row" not in page


def test_requires_approval_is_explained_as_copied_when_taken(org, admin_client):
    # The rotation's setting is read when the shift is taken (rota.services.swaps).
    swap = taken_before_start(org, approval=True)
    page = admin_client.get(f"/admin/rota/swaprequest/{swap.pk}/change/").content.decode()
    assert "Copied from the rotation when the shift is taken." in page
    assert "when the shift is offered" not in page


def test_admin_approve_action_shows_any_domain_refusal_instead_of_a_500(org, client, monkeypatch):
    # Worked out on paper: the approval service refuses with NotAllowed (a DomainError that is
    # no SwapError); the action names the swap and the reason, approves nothing, no 500.
    swap = taken_before_start(org, approval=True)
    services.swap_take(swap=swap, by=org["alice"], now=org["shift"].start - datetime.timedelta(1))
    org["maria"].user_permissions.add(*Permission.objects.filter(codename__endswith="swaprequest"))
    client.force_login(org["maria"])

    def refuse(*, swap, by):
        raise NotAllowed("Only a manager of the rotation's team may approve this swap.")

    monkeypatch.setattr(services, "swap_approve", refuse)
    response = client.post(
        "/admin/rota/swaprequest/",
        {"action": "approve", "_selected_action": [swap.pk]},
        follow=True,
    )

    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        f"Not approved: #{swap.pk}: Only a manager of the rotation's team may approve this swap."
    ]
    assert holder(org) == "kwame"
