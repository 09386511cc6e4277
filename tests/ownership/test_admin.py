import pytest
from django.contrib.admin.models import DELETION, LogEntry

from core.exceptions import Conflict
from ownership.admin import TeamAdmin
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
    # Only the one team deleted is counted; no success message claims both.
    assert "Successfully deleted 1 team." in shown
    assert len(shown) == 2, shown
    assert LogEntry.objects.filter(action_flag=DELETION, object_id=str(owner.pk)).count() == 0
    assert LogEntry.objects.filter(action_flag=DELETION, object_id=str(empty.pk)).count() == 1


def test_bulk_delete_where_every_row_is_refused_claims_no_deletion(admin_client):
    # Worked out on paper: the one team selected owns a component; nothing is deleted, so the
    # only message is the refusal.
    owner = TeamFactory(name="Owner")
    component = ComponentFactory(owner_team=None)
    Component.objects.filter(pk=component.pk).update(owner_team=owner)
    response = admin_client.post(
        "/admin/ownership/team/",
        {"action": "delete_selected", "_selected_action": [owner.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert Team.objects.filter(pk=owner.pk).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Owner still owns 1 component(s); give them to another team first."]


def test_single_delete_of_a_team_goes_and_says_so(admin_client):
    # Worked out on paper: "Empty" owns nothing; the service deletes it, Django says so once.
    empty = TeamFactory(name="Empty")
    response = admin_client.post(
        f"/admin/ownership/team/{empty.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not Team.objects.filter(pk=empty.pk).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "was deleted successfully" in shown[0], shown


def test_single_delete_refused_shows_only_the_refusal_and_goes_back(admin_client):
    # Worked out on paper: "Owner" owns a component, team_delete refuses; the team stays, the
    # answer redirects to its change page, and the only message is the refusal (no
    # "was deleted successfully", no deletion logged).
    owner = TeamFactory(name="Owner")
    component = ComponentFactory(owner_team=None)
    Component.objects.filter(pk=component.pk).update(owner_team=owner)
    url = f"/admin/ownership/team/{owner.pk}/delete/"
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/ownership/team/{owner.pk}/change/"
    page = admin_client.get(response["Location"])
    shown = [str(m) for m in page.context["messages"]]
    assert shown == ["Owner still owns 1 component(s); give them to another team first."]
    assert Team.objects.filter(pk=owner.pk).exists()
    assert not LogEntry.objects.filter(action_flag=DELETION, object_id=str(owner.pk)).exists()


@pytest.mark.parametrize("bulk", [False, True])
def test_a_conflict_raised_by_the_delete_service_is_a_message_not_a_500(
    admin_client, monkeypatch, bulk
):
    # Worked out on paper: the service raises Conflict (409) instead of a ValidationError; the
    # admin shows its message and keeps the row, single or bulk, with no success message.
    team = TeamFactory(name="Busy")

    def refuse(*, team, **_kwargs):
        raise Conflict(f"{team.name} is being changed by someone else; try again.")

    monkeypatch.setattr(TeamAdmin, "service_delete", staticmethod(refuse))
    if bulk:
        post = {"action": "delete_selected", "_selected_action": [team.pk], "post": "yes"}
        response = admin_client.post("/admin/ownership/team/", post, follow=True)
    else:
        url = f"/admin/ownership/team/{team.pk}/delete/"
        response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert Team.objects.filter(pk=team.pk).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Busy is being changed by someone else; try again."]
