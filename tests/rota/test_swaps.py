import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from rota import selectors, services
from rota.exceptions import SwapAlreadyTaken, SwapNotOpen
from rota.models import ShiftChange, SwapRequest
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, TeamRotationFactory

UTC = datetime.UTC
NOW = datetime.datetime(2024, 1, 1, tzinfo=UTC)
START = datetime.datetime(2024, 1, 8, 9, tzinfo=UTC)


def setup_offer(*, approval=False, takers=2):
    owner = UserFactory(username="owner")
    others = [UserFactory(username=f"taker{i}") for i in range(takers)]
    rotation = RotationFactory(participants=[owner, *others], swaps_require_approval=approval)
    shift = ShiftFactory(rotation=rotation, user=owner, start=START)
    swap = services.swap_offer(shift=shift, by=owner, now=NOW)
    return swap, owner, others


@pytest.mark.django_db
def test_taking_an_offer_hands_the_shift_over_when_no_approval_is_needed():
    swap, owner, (taker, _) = setup_offer()

    services.swap_take(swap=swap, by=taker, now=NOW)

    swap.refresh_from_db()
    shift = swap.shift
    shift.refresh_from_db()
    assert (swap.status, swap.taken_by, shift.user, shift.edited) == (
        "approved",
        taker,
        taker,
        True,
    )
    assert shift.sequence == 1
    change = ShiftChange.objects.get(shift=shift)
    assert (change.action, change.old["user"], change.new["user"]) == (
        "swapped",
        owner.pk,
        taker.pk,
    )


@pytest.mark.django_db
def test_with_approval_the_shift_changes_hands_only_once_approved():
    swap, owner, (taker, manager) = setup_offer(approval=True)

    services.swap_take(swap=swap, by=taker, now=NOW)
    swap.shift.refresh_from_db()
    assert (swap.status, swap.shift.user) == ("taken", owner)

    services.swap_approve(swap=swap, by=manager, now=NOW)
    swap.shift.refresh_from_db()
    assert (swap.status, swap.approved_by, swap.shift.user) == ("approved", manager, taker)


@pytest.mark.django_db
def test_a_rejected_swap_leaves_the_shift_with_its_owner():
    swap, owner, (taker, manager) = setup_offer(approval=True)
    services.swap_take(swap=swap, by=taker, now=NOW)

    services.swap_reject(swap=swap, by=manager, now=NOW)

    swap.shift.refresh_from_db()
    assert (swap.status, swap.shift.user, swap.shift.edited) == ("rejected", owner, False)
    with pytest.raises(SwapNotOpen):
        services.swap_approve(swap=swap, by=manager, now=NOW)


@pytest.mark.django_db
def test_a_cancelled_offer_cannot_be_taken():
    swap, owner, (taker, _) = setup_offer()
    services.swap_cancel(swap=swap, by=owner, now=NOW)

    with pytest.raises(SwapNotOpen):
        services.swap_take(swap=swap, by=taker, now=NOW)
    assert SwapRequest.objects.get().status == "cancelled"


@pytest.mark.django_db
def test_only_the_owner_can_offer_a_shift_and_not_twice():
    swap, owner, (taker, _) = setup_offer()

    with pytest.raises(ValidationError) as excinfo:
        services.swap_offer(shift=swap.shift, by=taker, now=NOW)
    assert set(excinfo.value.message_dict) == {"shift"}
    with pytest.raises(ValidationError):
        services.swap_offer(shift=swap.shift, by=owner, now=NOW)


@pytest.mark.django_db
def test_outsiders_and_the_owner_cannot_take_an_offer():
    swap, owner, _ = setup_offer()

    with pytest.raises(ValidationError) as excinfo:
        services.swap_take(swap=swap, by=UserFactory(username="outsider"), now=NOW)
    assert set(excinfo.value.message_dict) == {"taken_by"}
    with pytest.raises(ValidationError):
        services.swap_take(swap=swap, by=owner, now=NOW)


@pytest.mark.django_db
def test_a_second_taker_gets_swap_already_taken():
    swap, _, (first, second) = setup_offer()
    stale = SwapRequest.objects.get(pk=swap.pk)  # what the second caller loaded earlier

    services.swap_take(swap=swap, by=first, now=NOW)
    with pytest.raises(SwapAlreadyTaken):
        services.swap_take(swap=stale, by=second, now=NOW)

    swap.shift.refresh_from_db()
    assert swap.shift.user == first


@pytest.mark.django_db(transaction=True)
def test_two_people_taking_the_same_offer_at_once_exactly_one_wins():
    swap, _, takers = setup_offer(takers=4)
    if connection.vendor != "postgresql":
        # SQLite serialises writers anyway: race them one after the other.
        outcomes = []
        for taker in takers:
            try:
                services.swap_take(swap=SwapRequest.objects.get(pk=swap.pk), by=taker, now=NOW)
                outcomes.append("won")
            except SwapAlreadyTaken:
                outcomes.append("lost")
    else:
        barrier = threading.Barrier(len(takers))
        outcomes = []

        def take(user):
            try:
                mine = SwapRequest.objects.get(pk=swap.pk)
                barrier.wait(timeout=10)
                services.swap_take(swap=mine, by=user, now=NOW)
                outcomes.append("won")
            except SwapAlreadyTaken:
                outcomes.append("lost")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=take, args=(taker,)) for taker in takers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    swap.refresh_from_db()
    swap.shift.refresh_from_db()
    assert swap.shift.user == swap.taken_by
    assert ShiftChange.objects.filter(action="swapped").count() == 1


@pytest.mark.django_db
def test_takers_are_the_people_of_the_rotation_and_nobody_on_one_with_none():
    # One rule (rotation_taker_ids) for taking swaps and covering: the turn order's people and
    # the members of the rotation's teams. A rotation with no team and an empty turn order
    # has none, so a shift put there by hand is not open to just anyone.
    owner = UserFactory(username="owner")
    bare = RotationFactory(team=None)
    shift = ShiftFactory(rotation=bare, user=owner, start=START)
    swap = services.swap_offer(shift=shift, by=owner, now=NOW)
    with pytest.raises(ValidationError) as excinfo:
        services.swap_take(swap=swap, by=UserFactory(username="passer-by"), now=NOW)
    assert "is not part of the rotation" in excinfo.value.message_dict["taken_by"][0]
    assert selectors.rotation_taker_ids(bare) == set()


@pytest.mark.django_db
def test_the_members_of_the_teams_taking_turns_are_takers():
    # A team rotation of Platform and Ops: their members take its turns; Search's do not.
    platform, ops, search = TeamFactory(), TeamFactory(), TeamFactory()
    pat, oli = MembershipFactory(team=platform).user, MembershipFactory(team=ops).user
    sid = MembershipFactory(team=search).user
    rotation = TeamRotationFactory(participants=[platform, ops])
    follower = RotationFactory(team=None, follows_team_rotation=rotation)
    assert selectors.rotation_taker_ids(rotation) == {pat.pk, oli.pk}
    assert selectors.rotation_taker_ids(follower) == {pat.pk, oli.pk}
    assert sid.pk not in selectors.rotation_taker_ids(rotation)
