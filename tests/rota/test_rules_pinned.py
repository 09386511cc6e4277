"""Documented rota rules that only these tests decide.

* Permissions (README "The API", ``rota.api.permissions``): a person rotation that follows a
  team rotation concerns the teams on that team rotation, so their managers may edit it;
  a manager of any other team may not.
* Leave is a half-open span of whole local days (``rota.timeutil.date_span``): leave that ends
  exactly at a shift's start, or starts exactly at its end, touches the shift but takes none of
  it. It is no clash for the rota check, and it does not keep someone from covering.
"""

import datetime

import pytest

from rota import selectors, services
from rota.models import Override, Rotation, Shift
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

from .factories import RotationFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
URL = "/api/v1/rotations/"


# --- Managers of the teams on a followed team rotation -------------------------------------


@pytest.fixture
def following():
    """Storefront and Checkout take turns in "Support"; "Support people" follows it."""
    storefront = TeamFactory(slug="storefront")
    checkout = TeamFactory(slug="checkout")
    support = TeamRotationFactory(name="Support", participants=[storefront, checkout])
    people = RotationFactory(
        name="Support people", team=None, follows_team_rotation=support, participants=[]
    )
    return {"storefront": storefront, "checkout": checkout, "rotation": people}


def test_a_manager_of_a_team_on_the_followed_rotation_edits_the_following_one(
    following, make_client, manager_of
):
    # On paper: "Support people" has no team of its own; it concerns the teams of "Support",
    # Storefront and Checkout. Checkout's manager may rename it.
    rotation = following["rotation"]
    client = make_client(manager_of(following["checkout"]))

    response = client.patch(f"{URL}{rotation.pk}/", {"name": "Support engineers"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Support engineers"
    rotation.refresh_from_db()
    assert rotation.name == "Support engineers"


def test_a_manager_of_a_team_off_the_followed_rotation_is_refused(
    following, make_client, manager_of
):
    # On paper: Billing is neither the rotation's team nor on "Support": 403, nothing changes.
    rotation = following["rotation"]
    client = make_client(manager_of(TeamFactory(slug="billing")))

    response = client.patch(f"{URL}{rotation.pk}/", {"name": "Taken over"}, format="json")

    assert response.status_code == 403, response.content
    rotation.refresh_from_db()
    assert rotation.name == "Support people"


# --- Leave touching a shift's boundary -----------------------------------------------------

NOW = datetime.datetime(2030, 1, 1, 9, tzinfo=UTC)


def at(d, m=1):
    return datetime.datetime(2030, m, d, tzinfo=UTC)


@pytest.fixture
def rota(monkeypatch):
    """alice, bob, carol, dave take weekly turns handing off on Mondays at 00:00 London.

    January is GMT, so London = UTC: alice Jan 7-14, bob 14-21, carol 21-28, dave Jan 28-Feb 4.
    """
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    team = TeamFactory(name="Payments", slug="payments", timezone="Europe/London")
    people = {}
    for name in ("alice", "bob", "carol", "dave"):
        people[name] = UserFactory(username=name, first_name=name.title(), last_name="Smith")
        MembershipFactory(team=team, user=people[name])
    manager = MembershipFactory(team=team, role="manager").user
    rotation = RotationFactory(
        name="Payments on-call",
        team=team,
        handoff_time=datetime.time(0, 0),
        start_date=datetime.date(2030, 1, 7),
        participants=[people[n] for n in ("alice", "bob", "carol", "dave")],
    )
    services.rotation_generate(rotation=rotation, until=datetime.date(2030, 2, 3), now=NOW)
    return {"rotation": rotation, "manager": manager, **people}


def holders(rotation):
    shifts = Shift.objects.filter(rotation=rotation).order_by("start")
    return [(s.start, s.end, s.user.username) for s in shifts]


def test_leave_ending_at_the_handoff_or_starting_at_the_shift_end_is_no_clash(rota, make_client):
    before = holders(rota["rotation"])
    assert before == [
        (at(7), at(14), "alice"),
        (at(14), at(21), "bob"),
        (at(21), at(28), "carol"),
        (at(28), at(4, 2), "dave"),
    ]
    client = make_client(rota["manager"])
    # Worked out on paper: bob's turn is [Mon 14 Jan 00:00, Mon 21 Jan 00:00). Leave on
    # Sat 12-Sun 13 January is [12 Jan 00:00, 14 Jan 00:00): it ends at the handoff. Leave
    # on Mon 21-Tue 22 January is [21 Jan 00:00, 23 Jan 00:00): it starts at the turn's end.
    # Neither takes an instant of bob's turn: no cover, no swap, no clash anywhere.
    for first, last in (("2030-01-12", "2030-01-13"), ("2030-01-21", "2030-01-22")):
        response = client.post(
            "/api/v1/unavailability/",
            {"user": "bob", "start_date": first, "end_date": last},
            format="json",
        )
        assert response.status_code == 201, response.content

    assert holders(rota["rotation"]) == before
    assert not Override.objects.exists()
    bobs = Shift.objects.get(rotation=rota["rotation"], user=rota["bob"])
    body = client.get(f"/api/v1/shifts/{bobs.pk}/").json()
    assert (body["leave_conflict"], body["leave_conflicts"]) == (False, [])
    # The rota check (weekly warning, admin preview) finds no leave conflict either.
    found = selectors.leave_conflicts(start=at(1), end=at(11, 2))
    assert [(c.user.username, c.start, c.end) for c in found] == []


def test_leave_touching_a_cover_at_both_ends_does_not_keep_someone_from_covering(rota, make_client):
    client = make_client(rota["manager"])
    # dave is away Tuesday 22 and Thursday 24 January: [22 Jan 00:00, 23 Jan 00:00) and
    # [24 Jan 00:00, 25 Jan 00:00).
    for day in ("2030-01-22", "2030-01-24"):
        response = client.post(
            "/api/v1/unavailability/",
            {"user": "dave", "start_date": day, "end_date": day},
            format="json",
        )
        assert response.status_code == 201, response.content
    assert not Override.objects.exists()  # dave holds no shift on those days

    # carol is away Wednesday 23 January, inside her turn: the cover is
    # [23 Jan 00:00, 24 Jan 00:00). Next after carol in turn order is dave, whose leave
    # touches that span at both ends but holds none of it, so dave covers (not alice).
    response = client.post(
        "/api/v1/unavailability/",
        {"user": "carol", "start_date": "2030-01-23", "end_date": "2030-01-23"},
        format="json",
    )

    assert response.status_code == 201, response.content
    covers = [(o.user.username, o.start, o.end) for o in Override.objects.all()]
    assert covers == [("dave", at(23), at(24))], covers
    assert Rotation.objects.count() == 1


# --- Within a role, the first rotation by id with someone on duty answers -------------------


@pytest.fixture
def no_cached_answers():
    from core import caches

    caches.clear_all()
    yield
    caches.clear_all()


def test_the_first_primary_rotation_by_id_with_someone_on_duty_answers(
    no_cached_answers, user_client
):
    from .factories import ShiftFactory

    payments = TeamFactory(slug="payments")
    ComponentFactory(slug="billing", owner_team=payments)
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    first = RotationFactory(team=payments, role="primary", timezone="UTC")
    second = RotationFactory(team=payments, role="primary", timezone="UTC")
    assert first.pk < second.pk
    monday = datetime.datetime(2030, 1, 7, 9, tzinfo=UTC)
    week = datetime.timedelta(days=7)
    # Week 1: ana on the first rotation, bo on the second. Week 2: the first has a gap.
    ShiftFactory(rotation=first, user=ana, start=monday, end=monday + week)
    ShiftFactory(rotation=second, user=bo, start=monday, end=monday + 2 * week)

    # On paper: on Wednesday of week 1 both rotations have someone; the first by id (ana's)
    # answers. On Wednesday of week 2 the first has nobody, so the second (bo) answers.
    week_one = user_client.get(
        "/api/v1/oncall/", {"component": "billing", "at": "2030-01-09T12:00:00Z"}
    ).json()
    week_two = user_client.get(
        "/api/v1/oncall/", {"component": "billing", "at": "2030-01-16T12:00:00Z"}
    ).json()

    assert week_one["primary"]["username"] == "ana", week_one
    assert week_two["primary"]["username"] == "bo", week_two
    # bo is no secondary: he is on a primary rotation, and no secondary rotation exists.
    assert (week_one["secondary"], week_two["secondary"]) == (None, None)
