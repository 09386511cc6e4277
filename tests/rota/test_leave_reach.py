"""Leave a manager enters for someone changes only the rotations of the manager's teams.

The organisation of test_leave (Payments, London = UTC in January; weekly turns from Monday
7 January 2030: alice, bob, carol, dave; manager maria) plus Checkout, a second team carol
also belongs to, with its own weekly rotation in the order frank, erin, carol:

    Payments  Jan 7 alice   Jan 14 bob   Jan 21 carol
    Checkout  Jan 7 frank   Jan 14 erin  Jan 21 carol

Carol away on Wednesday 23 January clashes with her turn on both. The next free person after
her is dave on Payments and frank on Checkout (the order wraps round). Maria manages Payments
only: her entry covers Payments and leaves Checkout's clash flagged for Checkout to settle.
Carol herself, or a rota admin, settles both.
"""

import pytest

from rota import services
from rota.models import Override, Unavailability
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory, rota_admin

from . import test_leave
from .factories import RotationFactory
from .test_leave import NOW, at, day

# The organisation and frozen clock of test_leave, shared as fixtures.
clock, org = test_leave.clock, test_leave.org

pytestmark = pytest.mark.django_db

LEAVE = {"user": "carol", "start_date": "2030-01-23", "end_date": "2030-01-23"}


@pytest.fixture
def checkout(org):
    team = TeamFactory(name="Checkout", slug="checkout", timezone="Europe/London")
    erin = MembershipFactory(team=team, user=UserFactory(username="erin")).user
    frank = MembershipFactory(team=team, user=UserFactory(username="frank")).user
    MembershipFactory(team=team, user=org["carol"])
    rotation = RotationFactory(
        name="Checkout on-call",
        team=team,
        start_date=day(7),
        participants=[frank, erin, org["carol"]],
    )
    services.rotation_generate(rotation=rotation, until=day(10, 3), now=NOW)
    return rotation


def covers():
    return sorted(
        (o.rotation.name, o.user.username, o.start, o.end)
        for o in Override.objects.select_related("rotation", "user")
    )


PAYMENTS_COVER = ("Payments on-call", "dave", at(23), at(24))
CHECKOUT_COVER = ("Checkout on-call", "frank", at(23), at(24))


def test_a_managers_entry_covers_only_their_teams_rotations(org, checkout, make_client):
    client = make_client(org["maria"])
    response = client.post("/api/v1/unavailability/", LEAVE, format="json")
    assert response.status_code == 201, response.content
    assert covers() == [PAYMENTS_COVER]
    # Checkout's clash stays, flagged on carol's Checkout turn (Jan 21) and only there.
    shifts = client.get("/api/v1/shifts/", {"user": "carol", "end_before": "2030-01-29T00:00:00Z"})
    flagged = {(s["rotation"], s["start"], s["leave_conflict"]) for s in shifts.json()["results"]}
    assert flagged == {
        (org["rotation"].pk, "2030-01-21T09:00:00Z", False),
        (checkout.pk, "2030-01-21T09:00:00Z", True),
    }


def test_a_managers_change_of_dates_also_stays_in_their_teams(org, checkout, make_client):
    entry = services.unavailability_create(
        user=org["carol"], start_date=day(22), end_date=day(22), by=org["carol"], now=NOW
    )
    assert covers() == [
        ("Checkout on-call", "frank", at(22), at(23)),
        ("Payments on-call", "dave", at(22), at(23)),
    ]
    response = make_client(org["maria"]).patch(
        f"/api/v1/unavailability/{entry.pk}/",
        {"start_date": "2030-01-23", "end_date": "2030-01-23"},
        format="json",
    )
    assert response.status_code == 200, response.content
    # The old covers go with the old dates; maria's new dates are covered on Payments only.
    assert covers() == [PAYMENTS_COVER]


@pytest.mark.parametrize("who", ["carol", "root"])
def test_the_person_or_a_rota_admin_settles_every_rotation(org, checkout, make_client, who):
    user = org["carol"] if who == "carol" else rota_admin(username="root")
    response = make_client(user).post("/api/v1/unavailability/", LEAVE, format="json")
    assert response.status_code == 201, response.content
    assert covers() == [CHECKOUT_COVER, PAYMENTS_COVER]


def _admin_form(user):
    return {
        "user": user.pk,
        "team": "",
        "start_date": "2030-01-23",
        "end_date": "2030-01-23",
        "kind": Unavailability.Kind.LEAVE,
        "reason": "",
    }


def test_the_admin_applies_the_same_reach(org, checkout, client):
    from portal.demo.seed import managers_group_sync

    maria = org["maria"]
    maria.is_staff = True
    maria.save()
    maria.groups.add(managers_group_sync())
    client.force_login(maria)
    response = client.post("/admin/rota/unavailability/add/", _admin_form(org["carol"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert covers() == [PAYMENTS_COVER]

    Unavailability.objects.all().delete()
    Override.objects.all().delete()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.post("/admin/rota/unavailability/add/", _admin_form(org["carol"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert covers() == [CHECKOUT_COVER, PAYMENTS_COVER]
