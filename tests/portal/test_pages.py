import datetime

import pytest
from django.utils import timezone

from notifications.models import NotificationPreference
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.portal.pages_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def catalog():
    team = TeamFactory(slug="payments", name="Payments")
    MembershipFactory(team=team)
    area = ComponentFactory(slug="billing", name="Billing", kind="area", owner_team=team)
    ComponentFactory(
        slug="billing-api", name="Billing API", parent=area, owner_team=None, paths=["/billing/"]
    )
    return team


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def world(now):
    return build_world(teams=2, now=now)


PAGES = ["/", "/components/", "/teams/payments/", "/components/billing/", "/me/", "/incidents/"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_a_login(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_looks_up_a_code_path(signed_in, catalog):
    response = signed_in.get("/", {"q": "billing/invoices.py"})
    assert response.status_code == 200
    assert "Billing API" in response.content.decode()
    assert "/billing/" in response.content.decode()


def test_home_shows_who_is_on_call_for_a_component_with_contact_details(signed_in, world):
    component, team = world.components[1], world.teams[1]
    oncall = world.people[team.slug][0]
    html = signed_in.get("/", {"q": component.name}).content.decode()
    assert f'href="{component.get_absolute_url()}"' in html
    assert oncall.get_full_name() in html
    assert f'href="mailto:{oncall.email}"' in html


def test_home_looks_up_the_responders_of_a_path(signed_in, world):
    component = world.components[0]
    html = signed_in.get("/", {"q": f"svc{world.teams[0].pk}/app.py"}).content.decode()
    assert f"/svc{world.teams[0].pk}/" in html
    assert world.people[world.teams[0].slug][0].email in html
    assert component.name in html


def test_home_says_so_when_nothing_matches(signed_in, world):
    html = signed_in.get("/", {"q": "no-such-thing"}).content.decode()
    assert "No component matches" in html


def test_home_lists_every_team_and_policy_with_who_is_on_duty_now(signed_in, world):
    html = signed_in.get("/").content.decode()
    for team in world.teams:
        assert team.name in html
        assert world.people[team.slug][0].email in html
    assert "Rotating" in html and "Default" in html
    assert "everything else" in html  # the default policy covers the rest


def test_home_sees_a_rota_change_at_once(signed_in, world):
    from rota import services

    signed_in.get("/")
    shift = world.shifts[world.teams[0].slug][0]
    substitute = world.people[world.teams[0].slug][2]
    services.shift_reassign(shift=shift, user=substitute)
    assert substitute.email in signed_in.get("/").content.decode()


def test_component_page_shows_inherited_owner_and_history(signed_in, catalog):
    html = signed_in.get("/components/billing-api/").content.decode()
    assert "Payments" in html
    assert "(inherited)" in html
    assert "Ownership history" in html


def test_component_page_shows_responders_now_and_incidents(signed_in, world):
    component = world.components[0]
    html = signed_in.get(component.get_absolute_url()).content.decode()
    assert "Responds now" in html
    assert world.people[world.teams[0].slug][0].email in html
    assert world.incidents[0].title in html
    assert "Rotating" in html  # the policy that routes it


def test_unknown_component_is_404(signed_in):
    assert signed_in.get("/components/ghost/").status_code == 404


def test_team_page_shows_the_rota_as_a_timeline_with_gaps(signed_in, world):
    team = world.teams[0]
    people = world.people[team.slug]
    html = signed_in.get(team.get_absolute_url()).content.decode()
    assert html.count('class="tl-row"') == 2  # the person rotation and the team rotation
    assert people[0].get_full_name() in html and people[1].get_full_name() in html
    assert 'class="tl-now"' in html
    assert 'class="tl-day today' in html or 'class="tl-day weekend today' in html
    assert 'class="tl-block gap"' in html
    assert "Gap: nobody on duty from" in html


def test_team_page_lists_members_components_open_incidents_and_triage(signed_in, world):
    team = world.teams[0]
    html = signed_in.get(team.get_absolute_url()).content.decode()
    for person in world.people[team.slug]:
        assert person.email in html
    assert world.components[0].name in html
    assert world.incidents[0].title in html
    assert "Triage queue (1)" in html


def test_team_page_lists_leave_that_clashes_with_duty(signed_in, world):
    from rota.models import Unavailability

    team = world.teams[0]
    shift = world.shifts[team.slug][1]
    day = timezone.localdate(shift.start) + datetime.timedelta(days=1)
    Unavailability.objects.create(user=shift.user, start_date=day, end_date=day, reason="Flu")
    Unavailability.objects.create(team=team, start_date=day, end_date=day, reason="Offsite")
    html = signed_in.get(team.get_absolute_url()).content.decode()
    # A person's reason is theirs (and their managers' and staff's): others read "away".
    assert f"{shift.user.get_full_name()} is on leave (away)" in html
    assert "Flu" not in html
    assert f"{team.name} is on leave (Offsite)" in html
    signed_in.force_login(shift.user)
    html = signed_in.get(team.get_absolute_url()).content.decode()
    assert f"{shift.user.get_full_name()} is on leave (Flu)" in html


@pytest.mark.parametrize("weeks, shown", [("8", 8), ("99", 12), ("x", 4)])
def test_team_page_timeline_length_is_bounded(signed_in, world, weeks, shown):
    response = signed_in.get(world.teams[0].get_absolute_url(), {"weeks": weeks})
    assert response.context["timeline"].weeks == shown


def test_times_are_in_the_zone_of_the_viewers_first_team(client, world):
    person = world.people[world.teams[0].slug][0]  # a team in Europe/Berlin
    client.force_login(person)
    html = client.get("/").content.decode()
    assert '<strong class="zone">Europe/Berlin</strong>' in html
    end = world.shifts[world.teams[0].slug][0].end
    local = timezone.localtime(end, datetime.timezone(datetime.timedelta(hours=1)))
    assert local.strftime("%H:%M CET") in html


def test_a_preferred_time_zone_wins_over_the_teams(client, world):
    person = world.people[world.teams[0].slug][0]
    NotificationPreference.objects.create(user=person, timezone="America/New_York")
    client.force_login(person)
    html = client.get("/").content.decode()
    assert '<strong class="zone">America/New_York</strong>' in html
    assert " EST" in html


def test_people_without_a_team_read_utc(signed_in, world):
    assert '<strong class="zone">UTC</strong>' in signed_in.get("/").content.decode()


def test_login_page_shows_errors_next_to_the_form(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_health_check_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_pages_link_the_skip_target_and_the_current_page(signed_in, world):
    html = signed_in.get("/incidents/").content.decode()
    assert 'href="#main"' in html and 'id="main"' in html
    assert 'href="/incidents/" aria-current="page"' in html


# --- Pinned query counts: the same for a small and a larger organisation -------------------

QUERIES = {
    # session, user, viewer's zone, rota and catalog versions (the on-call board is cached)
    "home": 4,
    # ... plus the components found (with their paths) and routing's version check for each
    # of the (at most five) components whose responders the results show, and the globs that
    # could cover the query as a path fragment (none here: the components' own are found
    # by name, so no lookups and no second component query)
    "search": 8,
    # session, user, zone, components with their paths
    "catalog": 5,
    # session, user, zone, component with paths, responders (versions), history, children,
    # ancestors, incidents
    "component": 10,
    # session, user, zone, team with members, open incidents, triage queue, responders
    # (versions), rotations, timeline segments (2), schedule check (7), components with paths,
    # and the buffer left this sprint: the load report's loading for one sprint (sprint
    # calendar, teams, memberships, leave, components, incidents and the bugs of their
    # owning teams, pages, bugs), and the team's public holidays ahead
    "team": 29,
}


def _pages(world):
    team, component = world.teams[0], world.components[0]
    return {
        "home": "/",
        "search": f"/?q={component.name}",
        "catalog": "/components/",
        "component": component.get_absolute_url(),
        "team": team.get_absolute_url(),
    }


@pytest.mark.parametrize("page", sorted(QUERIES))
@pytest.mark.parametrize("teams", [1, 6])
def test_page_query_counts_are_pinned(client, django_assert_num_queries, now, page, teams):
    world = build_world(teams=teams, now=now)
    client.force_login(world.people[world.teams[0].slug][0])
    url = _pages(world)[page]
    assert client.get(url).status_code == 200  # fills the on-call caches
    with django_assert_num_queries(QUERIES[page]):
        assert client.get(url).status_code == 200


# Building the on-call board asks routing about every team in one batch and about each support
# policy; this happens once per process per rota change or shift boundary, not per request.
COLD_BOARD_QUERIES = 21  # routing settings read once per batch


@pytest.mark.parametrize("teams", [1, 6])
def test_building_the_board_costs_a_fixed_number_of_queries(
    client, django_assert_num_queries, now, teams
):
    world = build_world(teams=teams, now=now)
    client.force_login(world.people[world.teams[0].slug][0])
    with django_assert_num_queries(COLD_BOARD_QUERIES):
        assert client.get("/").status_code == 200
