"""My rota (/me/): shifts, swaps and leave through the rota services, errors on the page."""

import datetime

import pytest
from django.utils import timezone

from rota.models import FeedToken, Shift, SwapRequest, Unavailability
from tests.ownership.factories import MembershipFactory, UserFactory
from tests.portal.pages_world import build_world
from tests.rota.factories import SwapRequestFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def world():
    return build_world(teams=2, now=timezone.now())


@pytest.fixture
def team(world):
    return world.teams[0]


@pytest.fixture
def alice(world, team):
    return world.people[team.slug][0]


@pytest.fixture
def bob(world, team):
    return world.people[team.slug][1]


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def next_shift(world, team) -> Shift:
    return world.shifts[team.slug][1]  # the second engineer's, next week


def test_shows_my_shifts_my_teams_support_shifts_feed_and_links(as_user, world, alice):
    html = as_user(alice).get("/me/").content.decode()
    assert "My coming shifts" in html
    assert world.rotations[0].name in html
    assert "on duty now" in html  # alice holds the current shift
    assert "Support turns" in html  # her team's support shift
    token = FeedToken.objects.get(user=alice, kind="person")
    assert f"/calendar/{token.key}" in html
    assert 'class="copy"' in html
    assert 'href="/me/notifications/"' in html
    assert 'href="/me/feeds/"' in html


def test_my_shifts_show_the_covers_over_them_from_the_final_schedule(as_user, world, alice, bob):
    # Bob covers the whole of alice's current shift: it is no longer hers to be on duty for
    # ("covered in full", no "on duty now"). The second team covers a day of her team's
    # support shift (now - 1 day to now + 13 days): that row names the cover and her team is
    # still on support now.
    from rota import services

    current = world.shifts[world.teams[0].slug][0]
    services.override_create(
        rotation=current.rotation, user=bob, start=current.start, end=current.end
    )
    support = Shift.objects.get(team=world.teams[0], rotation__kind="team")
    other = world.teams[1]
    services.override_create(
        rotation=support.rotation,
        team=other,
        start=timezone.now() + DAY,
        end=timezone.now() + 2 * DAY,
    )
    html = as_user(alice).get("/me/").content.decode()
    row = html.split(f'id="shift-{current.pk}"')[1].split("</tr>")[0]
    assert "covered in full" in row and "on duty now" not in row
    assert "on duty now" not in html
    assert f"Covered by {other.name}: " in html
    assert "on support now" in html


def test_offer_my_shift_then_someone_in_the_rotation_takes_it(client, world, team, alice, bob):
    shift = next_shift(world, team)  # bob's
    client.force_login(bob)
    response = client.post(f"/me/shifts/{shift.pk}/offer/", {"message": "Wedding"})
    assert response.status_code == 302
    swap = SwapRequest.objects.get(shift=shift)
    assert swap.status == "offered" and swap.message == "Wedding"
    assert "Withdraw offer" in client.get("/me/").content.decode()

    client.force_login(alice)
    html = client.get("/me/").content.decode()
    assert "Shifts on offer you can take" in html and f'action="/me/swaps/{swap.pk}/take/"' in html
    assert client.post(f"/me/swaps/{swap.pk}/take/").status_code == 302
    shift.refresh_from_db()
    assert shift.user == alice
    swap.refresh_from_db()
    assert swap.status == "approved"


def test_offering_someone_elses_shift_is_refused_on_the_page(client, world, team, alice):
    shift = next_shift(world, team)
    client.force_login(alice)
    response = client.post(f"/me/shifts/{shift.pk}/offer/")
    assert response.status_code == 403  # not hers to offer: the API's 403
    assert "You can only offer your own shift." in response.content.decode()
    assert not SwapRequest.objects.exists()


def test_offering_twice_shows_the_services_error_next_to_the_shift(client, world, team, bob):
    shift = next_shift(world, team)
    SwapRequestFactory(shift=shift, status="taken", taken_by=UserFactory())
    client.force_login(bob)
    response = client.post(f"/me/shifts/{shift.pk}/offer/")
    assert response.status_code == 400
    assert "already on offer" in response.content.decode()


def test_someone_outside_the_rotation_sees_no_offer_and_cannot_take_it(client, world, team, bob):
    swap = SwapRequestFactory(shift=next_shift(world, team))
    outsider = world.people[world.teams[1].slug][0]
    client.force_login(outsider)
    assert f"/me/swaps/{swap.pk}/take/" not in client.get("/me/").content.decode()
    response = client.post(f"/me/swaps/{swap.pk}/take/")
    assert response.status_code == 400
    name = outsider.get_full_name() or outsider.username
    assert f"{name} is not part of the rotation {swap.shift.rotation.name}." in (
        response.content.decode()
    )
    swap.refresh_from_db()
    assert swap.status == "offered"


def test_a_swap_taken_by_someone_else_first_is_explained(client, world, team, alice):
    swap = SwapRequestFactory(shift=next_shift(world, team))
    SwapRequest.objects.filter(pk=swap.pk).update(status="approved")
    client.force_login(alice)
    response = client.post(f"/me/swaps/{swap.pk}/take/")
    assert response.status_code == 409  # a conflict with what happened first: the API's 409
    assert "Someone else took this shift first." in response.content.decode()


def test_where_approval_is_required_a_manager_approves_on_the_page(client, world, team, alice, bob):
    rotation = world.rotations[0]
    rotation.swaps_require_approval = True
    rotation.save()
    shift = next_shift(world, team)
    swap = SwapRequestFactory(shift=shift, requires_approval=True)
    client.force_login(alice)
    client.post(f"/me/swaps/{swap.pk}/take/")
    swap.refresh_from_db()
    assert swap.status == "taken"
    assert "waiting for approval" in client.get("/me/").content.decode()

    # engineers do not approve
    response = client.post(f"/me/swaps/{swap.pk}/approve/")
    assert response.status_code == 403

    manager = MembershipFactory(team=team, role="manager").user
    client.force_login(manager)
    html = client.get("/me/").content.decode()
    assert "Swaps waiting for your approval" in html
    assert client.post(f"/me/swaps/{swap.pk}/approve/").status_code == 302
    shift.refresh_from_db()
    assert shift.user == alice


def test_a_manager_rejects_a_taken_swap(client, world, team, alice):
    swap = SwapRequestFactory(
        shift=next_shift(world, team), requires_approval=True, status="taken", taken_by=alice
    )
    client.force_login(MembershipFactory(team=team, role="manager").user)
    assert client.post(f"/me/swaps/{swap.pk}/reject/").status_code == 302
    swap.refresh_from_db()
    assert swap.status == "rejected"


def test_only_the_offerer_withdraws_an_offer(client, world, team, alice, bob):
    swap = SwapRequestFactory(shift=next_shift(world, team))
    client.force_login(alice)
    assert client.post(f"/me/swaps/{swap.pk}/cancel/").status_code == 403
    client.force_login(bob)
    assert client.post(f"/me/swaps/{swap.pk}/cancel/").status_code == 302
    swap.refresh_from_db()
    assert swap.status == "cancelled"


def test_add_leave(client, alice):
    client.force_login(alice)
    today = timezone.localdate()
    response = client.post(
        "/me/leave/",
        {"start_date": today + 3 * DAY, "end_date": today + 5 * DAY, "reason": "Holiday"},
    )
    assert response.status_code == 302
    entry = Unavailability.objects.get(user=alice)
    assert (entry.reason, entry.created_by) == ("Holiday", alice)
    assert "Holiday" in client.get("/me/").content.decode()


def test_leave_ending_before_it_starts_is_refused_next_to_the_field(client, alice):
    client.force_login(alice)
    today = timezone.localdate()
    response = client.post("/me/leave/", {"start_date": today + 5 * DAY, "end_date": today})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_end_date-error"' in html
    assert "The last day cannot be before the first." in html
    assert not Unavailability.objects.exists()


def test_leave_without_dates_says_which_are_missing(client, alice):
    client.force_login(alice)
    response = client.post("/me/leave/", {"start_date": "not a date"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_start_date-error"' in html and 'id="id_end_date-error"' in html


def test_remove_my_leave_but_not_someone_elses(client, alice, bob):
    today = timezone.localdate()
    mine = Unavailability.objects.create(user=alice, start_date=today, end_date=today)
    theirs = Unavailability.objects.create(user=bob, start_date=today, end_date=today)
    client.force_login(alice)
    assert client.post(f"/me/leave/{theirs.pk}/delete/").status_code == 403
    assert client.post(f"/me/leave/{mine.pk}/delete/").status_code == 302
    assert list(Unavailability.objects.all()) == [theirs]


@pytest.mark.parametrize(
    "url", ["/me/shifts/1/offer/", "/me/swaps/1/take/", "/me/leave/", "/me/leave/1/delete/"]
)
def test_writes_need_post(client, alice, url):
    # A GET writes nothing: it goes back to My rota (the reload of a refused form); other
    # methods are refused.
    client.force_login(alice)
    answer = client.get(url)
    assert (answer.status_code, answer["Location"]) == (302, "/me/")
    assert client.delete(url).status_code == 405


def test_unknown_shift_or_swap_is_404(client, alice):
    client.force_login(alice)
    assert client.post("/me/shifts/999999/offer/").status_code == 404
    assert client.post("/me/swaps/999999/take/").status_code == 404


# Pinned: session, user, zone, person feed token, my shifts (+ their open swaps), my teams'
# support shifts, covers, offers I may take, swaps I took, the teams I manage, leave, and the
# final schedule of the shifts' rotations (two). A manager (here without shifts of their own,
# so without the swaps prefetch) adds the swaps waiting for their approval. With shifts, two
# more: the hand-overs I may give back, and my leave that clashes with them (the manager's
# team's support shifts need the leave query alone). The manager's approvals add one more: the
# turns around them, whether a swap gives the taker three in a row.
ENGINEER_QUERIES = 16
MANAGER_QUERIES = 16


@pytest.mark.parametrize("teams", [1, 6])
def test_query_count_is_pinned(client, django_assert_num_queries, teams):
    world = build_world(teams=teams, now=timezone.now())
    alice = world.people[world.teams[0].slug][0]
    for team in world.teams[1:]:
        MembershipFactory(team=team, user=alice)
        support = TeamRotationFactory(participants=[team])
        Shift.objects.create(
            rotation=support, team=team, start=timezone.now(), end=timezone.now() + DAY
        )
    for team in world.teams:
        SwapRequestFactory(shift=world.shifts[team.slug][1])
        SwapRequestFactory(
            shift=world.shifts[team.slug][2], status="taken", taken_by=alice, offered_by=alice
        )
    client.force_login(alice)
    client.get("/me/")  # the first visit creates the feed token
    with django_assert_num_queries(ENGINEER_QUERIES):
        assert client.get("/me/").status_code == 200
    manager = MembershipFactory(team=world.teams[0], role="manager").user
    client.force_login(manager)
    client.get("/me/")
    with django_assert_num_queries(MANAGER_QUERIES):
        response = client.get("/me/")
    assert len(response.context["approvals"]) == 1
