import datetime
import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from rota.models import Shift, SwapRequest
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, ShiftFactory, SwapRequestFactory

URL = "/api/v1/swaps/"
START = datetime.datetime(2030, 1, 7, 9, tzinfo=datetime.UTC)


def _setup(*, approval=False, takers=1):
    """Return a team, its rotation, the owner's future shift and people who can take it."""
    team = TeamFactory()
    owner = MembershipFactory(team=team, user=UserFactory(username="owner")).user
    others = [MembershipFactory(team=team).user for _ in range(takers)]
    rotation = RotationFactory(
        team=team, participants=[owner, *others], swaps_require_approval=approval
    )
    shift = ShiftFactory(rotation=rotation, user=owner, start=START)
    return team, shift, owner, others


@pytest.mark.django_db
def test_swap_fields_follow_the_interface(user_client):
    _, shift, owner, _ = _setup()
    swap = SwapRequestFactory(shift=shift)
    body = user_client.get(f"{URL}{swap.pk}/").json()
    assert body["id"] == swap.pk
    assert body["shift"] == shift.pk
    assert body["offered_by"] == "owner"
    assert body["taken_by"] is None
    assert body["status"] == "offered"


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    rotation = RotationFactory()
    taker = UserFactory()
    for n in range(rows):
        shift = ShiftFactory(rotation=rotation, start=START + datetime.timedelta(weeks=n))
        SwapRequestFactory(shift=shift, taken_by=taker, status="taken")
    with django_assert_num_queries(2):  # count, page with shift and people
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


@pytest.mark.django_db
def test_list_filters_by_status_rotation_and_people(user_client):
    _, shift, _, _ = _setup()
    offered = SwapRequestFactory(shift=shift)
    SwapRequestFactory(status="cancelled")

    def ids(query):
        return [row["id"] for row in user_client.get(URL, query).json()["results"]]

    assert ids({"status": "offered"}) == [offered.pk]
    assert ids({"open": "true"}) == [offered.pk]
    assert ids({"rotation": shift.rotation_id}) == [offered.pk]
    assert ids({"offered_by": "owner"}) == [offered.pk]


@pytest.mark.django_db
def test_engineer_offers_their_own_shift(make_client):
    _, shift, owner, _ = _setup()
    response = make_client(owner).post(URL, {"shift": shift.pk, "message": "wedding"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "offered"
    assert SwapRequest.objects.get().offered_by == owner


@pytest.mark.django_db
def test_nobody_offers_someone_elses_shift(make_client, manager_of):
    team, shift, _, (colleague,) = _setup()
    for person in (colleague, manager_of(team)):
        response = make_client(person).post(URL, {"shift": shift.pk})
        assert response.status_code == 403
    assert not SwapRequest.objects.exists()


@pytest.mark.django_db
def test_offering_a_shift_twice_is_refused(make_client):
    _, shift, owner, _ = _setup()
    client = make_client(owner)
    client.post(URL, {"shift": shift.pk})
    response = client.post(URL, {"shift": shift.pk})
    assert response.status_code == 400
    assert "shift" in response.json()


@pytest.mark.django_db
def test_offer_of_unknown_shift_names_the_field(user_client):
    response = user_client.post(URL, {"shift": 999999})
    assert response.status_code == 400
    assert "shift" in response.json()


@pytest.mark.django_db
def test_taking_hands_the_shift_over(make_client):
    _, shift, owner, (taker,) = _setup()
    swap = SwapRequestFactory(shift=shift)

    response = make_client(taker).post(f"{URL}{swap.pk}/take/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["taken_by"] == taker.username
    shift.refresh_from_db()
    assert shift.user == taker and shift.edited


@pytest.mark.django_db
def test_someone_outside_the_rotation_cannot_take(make_client):
    _, shift, _, _ = _setup()
    swap = SwapRequestFactory(shift=shift)
    outsider = UserFactory(username="zoe", first_name="Zoe", last_name="Kim")
    response = make_client(outsider).post(f"{URL}{swap.pk}/take/")
    assert response.status_code == 400
    assert response.json() == {
        "taken_by": [f"Zoe Kim is not part of the rotation {shift.rotation.name}."]
    }
    assert Shift.objects.get(pk=shift.pk).user.username == "owner"


@pytest.mark.django_db
def test_the_second_taker_gets_409(make_client):
    _, shift, _, (first, second) = _setup(takers=2)
    swap = SwapRequestFactory(shift=shift)
    assert make_client(first).post(f"{URL}{swap.pk}/take/").status_code == 200
    response = make_client(second).post(f"{URL}{swap.pk}/take/")
    assert response.status_code == 409
    assert "took" in response.json()["detail"]
    assert Shift.objects.get(pk=shift.pk).user == first


@pytest.mark.django_db(transaction=True)
def test_two_takers_at_once_exactly_one_wins_and_the_other_gets_409():
    _, shift, _, takers = _setup(takers=4)
    swap = SwapRequestFactory(shift=shift)
    statuses = []
    if connection.vendor != "postgresql":
        # SQLite serialises writers: the race is run one request after the other.
        for taker in takers:
            client = APIClient()
            client.force_authenticate(taker)
            statuses.append(client.post(f"{URL}{swap.pk}/take/").status_code)
    else:
        barrier = threading.Barrier(len(takers))

        def take(user):
            client = APIClient()
            client.force_authenticate(user)
            try:
                barrier.wait(timeout=10)
                statuses.append(client.post(f"{URL}{swap.pk}/take/").status_code)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=take, args=(taker,)) for taker in takers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(statuses) == [200, 409, 409, 409]
    swap.refresh_from_db()
    assert Shift.objects.get(pk=shift.pk).user == swap.taken_by


@pytest.mark.django_db
def test_manager_approves_a_taken_swap(make_client, manager_of):
    team, shift, owner, (taker,) = _setup(approval=True)
    swap = SwapRequestFactory(shift=shift, requires_approval=True)
    assert make_client(taker).post(f"{URL}{swap.pk}/take/").json()["status"] == "taken"
    assert Shift.objects.get(pk=shift.pk).user == owner

    refused = make_client(taker).post(f"{URL}{swap.pk}/approve/")
    elsewhere = make_client(manager_of(TeamFactory())).post(f"{URL}{swap.pk}/approve/")
    manager = manager_of(team)
    approved = make_client(manager).post(f"{URL}{swap.pk}/approve/")

    assert refused.status_code == 403
    assert elsewhere.status_code == 403
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == manager.username
    assert Shift.objects.get(pk=shift.pk).user == taker


@pytest.mark.django_db
def test_manager_rejects_a_taken_swap(make_client, manager_of):
    team, shift, owner, (taker,) = _setup(approval=True)
    swap = SwapRequestFactory(shift=shift, requires_approval=True)
    make_client(taker).post(f"{URL}{swap.pk}/take/")
    response = make_client(manager_of(team)).post(f"{URL}{swap.pk}/reject/")
    assert response.json()["status"] == "rejected"
    assert Shift.objects.get(pk=shift.pk).user == owner


@pytest.mark.django_db
def test_approving_an_offer_nobody_took_is_a_conflict(staff_client):
    _, shift, _, _ = _setup(approval=True)
    swap = SwapRequestFactory(shift=shift, requires_approval=True)
    response = staff_client.post(f"{URL}{swap.pk}/approve/")
    assert response.status_code == 409


@pytest.mark.django_db
def test_only_the_offerer_cancels(make_client, manager_of):
    team, shift, owner, (colleague,) = _setup()
    swap = SwapRequestFactory(shift=shift)
    assert make_client(colleague).post(f"{URL}{swap.pk}/cancel/").status_code == 403
    assert make_client(manager_of(team)).post(f"{URL}{swap.pk}/cancel/").status_code == 403
    response = make_client(owner).post(f"{URL}{swap.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    # once cancelled, nobody can take it
    assert make_client(colleague).post(f"{URL}{swap.pk}/take/").status_code == 409


@pytest.mark.django_db
def test_swaps_cannot_be_edited_or_deleted_directly(make_client):
    _, shift, owner, _ = _setup()
    swap = SwapRequestFactory(shift=shift)
    client = make_client(owner)
    assert client.patch(f"{URL}{swap.pk}/", {"status": "approved"}).status_code == 405
    assert client.delete(f"{URL}{swap.pk}/").status_code == 405
