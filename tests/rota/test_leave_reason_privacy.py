"""A leave's reason is read only by the person, managers of their teams and rota admins.

Team Payments: carol (engineer, on leave "Hospital appointment"), dave (engineer) and maria
(manager); team Search: sam (manager of Search only); an admin (a rota admin). Payments' public
holiday "Christmas" is a team's entry: everyone reads it. Carol holds a shift over her leave
with nobody free to cover, so the shifts API lists the clash with its reason too.
"""

import datetime

import pytest

from rota.models import Unavailability
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory, rota_admin

from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/unavailability/"
SECRET = "Hospital appointment"


@pytest.fixture
def org():
    payments, search = TeamFactory(name="Payments"), TeamFactory(name="Search")
    carol = MembershipFactory(team=payments, user=UserFactory(username="carol")).user
    dave = MembershipFactory(team=payments, user=UserFactory(username="dave")).user
    maria = MembershipFactory(team=payments, role="manager").user
    sam = MembershipFactory(team=search, role="manager").user
    staff = rota_admin()
    rotation = RotationFactory(team=payments, participants=[carol])  # nobody else to cover
    ShiftFactory(
        rotation=rotation,
        user=carol,
        start=datetime.datetime(2030, 1, 7, 9, tzinfo=datetime.UTC),
    )
    leave = Unavailability.objects.create(
        user=carol,
        start_date=datetime.date(2030, 1, 8),
        end_date=datetime.date(2030, 1, 8),
        reason=SECRET,
    )
    Unavailability.objects.create(
        team=payments,
        kind="public_holiday",
        start_date=datetime.date(2030, 12, 25),
        end_date=datetime.date(2030, 12, 25),
        reason="Christmas",
    )
    return {
        "carol": carol,
        "dave": dave,
        "maria": maria,
        "sam": sam,
        "staff": staff,
        "leave": leave,
        "rotation": rotation,
    }


def reasons(client):
    body = client.get(URL).json()
    return {row["reason"] for row in body.get("results", body)}


@pytest.mark.parametrize("who", ["carol", "maria", "staff"])
def test_the_person_their_manager_and_staff_read_the_reason(org, make_client, who):
    client = make_client(org[who])
    assert reasons(client) == {SECRET, "Christmas"}
    assert client.get(f"{URL}{org['leave'].pk}/").json()["reason"] == SECRET


@pytest.mark.parametrize("who", ["dave", "sam"])
def test_others_get_null_but_still_see_the_dates(org, make_client, who):
    client = make_client(org[who])
    assert reasons(client) == {None, "Christmas"}
    row = client.get(f"{URL}{org['leave'].pk}/").json()
    assert (row["reason"], row["start_date"]) == (None, "2030-01-08")
    # Searching reasons tells nothing either.
    found = client.get(URL, {"search": "Hospital"}).json()
    assert found.get("results", found) == []


def test_searching_ones_own_reason_still_works(org, make_client):
    found = make_client(org["carol"]).get(URL, {"search": "Hospital"}).json()
    assert [row["reason"] for row in found.get("results", found)] == [SECRET]


@pytest.mark.parametrize(("who", "expected"), [("dave", None), ("maria", SECRET)])
def test_the_shifts_api_hides_the_reason_of_a_clash_the_same_way(org, make_client, who, expected):
    body = make_client(org[who]).get("/api/v1/shifts/", {"rotation": org["rotation"].pk}).json()
    (shift,) = body.get("results", body)
    assert shift["leave_conflict"] is True
    assert [c["reason"] for c in shift["leave_conflicts"]] == [expected]


def test_the_schema_types_a_hidden_reason_as_nullable(client):
    # Others read the reason back as null (above), so both the entry's reason and a shift's
    # clash reason must be typed nullable, or a client checking against the schema rejects it.
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert schemas["Unavailability"]["properties"]["reason"]["nullable"] is True
    assert schemas["LeaveClash"]["properties"]["reason"]["nullable"] is True


def test_a_null_reason_written_back_is_stored_as_no_reason(org, make_client):
    # Dave reads his own leave back fully, but a client may echo a null it read elsewhere:
    # null is taken as "" (no reason), never a 500 nor a NOT NULL error.
    client = make_client(org["dave"])
    response = client.post(
        URL, {"start_date": "2030-02-01", "end_date": "2030-02-01", "reason": None}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == ""
    entry = Unavailability.objects.get(pk=response.json()["id"])
    assert (entry.user, entry.reason) == (org["dave"], "")
    # And patching the secret leave's reason to null clears it, as the manager may.
    maria = make_client(org["maria"])
    patched = maria.patch(f"{URL}{org['leave'].pk}/", {"reason": None}, format="json")
    assert patched.status_code == 200, patched.content
    org["leave"].refresh_from_db()
    assert org["leave"].reason == ""
