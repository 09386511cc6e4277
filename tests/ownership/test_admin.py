import pytest

from ownership.models import Component, OwnershipPeriod, Team

from .factories import ComponentFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(component, **changes):
    data = {
        "name": component.name,
        "slug": component.slug,
        "kind": component.kind,
        "description": component.description,
        "tier": component.tier,
        "parent": component.parent_id or "",
        "owner_team": component.owner_team_id or "",
        "repository_url": "",
        "runbook_url": "",
        "dashboard_url": "",
        "paths-TOTAL_FORMS": "0",
        "paths-INITIAL_FORMS": "0",
        "ownership_periods-TOTAL_FORMS": "0",
        "ownership_periods-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_admin_lists_and_searches_components(admin_client):
    ComponentFactory(name="Billing API", slug="billing-api", paths=["/billing/"])
    ComponentFactory(name="Search", slug="search")
    response = admin_client.get("/admin/ownership/component/", {"q": "/billing/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Billing API" in html
    assert ">Search<" not in html


def test_admin_change_of_owner_is_recorded_in_history(admin_client):
    old, new = TeamFactory(), TeamFactory()
    component = ComponentFactory(owner_team=old)

    response = admin_client.post(
        f"/admin/ownership/component/{component.pk}/change/", _form(component, owner_team=new.pk)
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    component.refresh_from_db()
    assert component.effective_owner_team == new
    periods = OwnershipPeriod.objects.filter(component=component).order_by("valid_from")
    assert [p.team for p in periods] == [old, new]
    assert periods.last().note == "changed in admin"


def test_admin_add_creates_history_and_paths(admin_client):
    team = TeamFactory()
    data = _form(
        Component(name="New", slug="new", kind="service", tier=3),
        owner_team=team.pk,
        **{"paths-TOTAL_FORMS": "1", "paths-0-pattern": "/new/"},
    )
    response = admin_client.post("/admin/ownership/component/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    component = Component.objects.get(slug="new")
    assert component.effective_owner_team == team
    assert list(component.paths.values_list("pattern", flat=True)) == ["/new/"]
    assert OwnershipPeriod.objects.filter(component=component, team=team).exists()


def test_admin_shows_a_clear_error_for_a_cycle(admin_client):
    area = ComponentFactory(kind="area")
    child = ComponentFactory(parent=area)

    response = admin_client.post(
        f"/admin/ownership/component/{area.pk}/change/", _form(area, parent=child.pk)
    )

    assert response.status_code == 200
    assert "would create a cycle" in response.content.decode()
    area.refresh_from_db()
    assert area.parent is None


def test_component_page_shows_ownership_history(admin_client):
    component = ComponentFactory()
    response = admin_client.get(f"/admin/ownership/component/{component.pk}/change/")
    assert "ownership history" in response.content.decode().lower()


def test_non_staff_cannot_open_the_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/ownership/component/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def _team_form(team, **changes):
    data = {
        "name": team.name,
        "slug": team.slug,
        "kind": team.kind,
        "description": "",
        "timezone": team.timezone,
        "email": team.email,
        "chat_channel": "",
        "chat_webhook_url": "",
        "triage_day": "",
        "triage_time": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_admin_sets_a_teams_weekly_triage_and_refuses_half_of_it(admin_client):
    team = TeamFactory(timezone="Europe/Berlin")
    url = f"/admin/ownership/team/{team.pk}/change/"
    response = admin_client.post(url, _team_form(team, triage_day="wednesday"))
    assert response.status_code == 200
    assert "Give the time the triage meeting starts." in response.content.decode()
    response = admin_client.post(url, _team_form(team, triage_day="wednesday", triage_time="09:15"))
    assert response.status_code == 302, response.content.decode()[:2000]
    team.refresh_from_db()
    assert (team.triage_weekday, team.triage_time.isoformat()) == (2, "09:15:00")


def test_deleting_teams_from_the_list_goes_through_the_service_one_by_one(admin_client):
    # Worked out on paper: "Empty" owns nothing and goes; "Owner" still owns one component
    # (owner set on the row, no history yet), which team_delete refuses: it stays, and the
    # refusal is shown naming it. Django alone would have deleted both (owner_team is SET_NULL).
    empty = TeamFactory(name="Empty")
    owner = TeamFactory(name="Owner")
    component = ComponentFactory(owner_team=None)
    Component.objects.filter(pk=component.pk).update(owner_team=owner)
    response = admin_client.post(
        "/admin/ownership/team/",
        {"action": "delete_selected", "_selected_action": [empty.pk, owner.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert not Team.objects.filter(pk=empty.pk).exists()
    assert Team.objects.filter(pk=owner.pk).exists()
    assert Component.objects.get(pk=component.pk).owner_team_id == owner.pk
    shown = [str(m) for m in response.context["messages"]]
    assert "Owner still owns 1 component(s); give them to another team first." in shown
