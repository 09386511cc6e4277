"""A team manager works in the admin on their teams only; rota admins on everything.

The organisation: Payments (managed by maria, staff and in the managers' group, which holds
every permission of the rota's apps) and Search (managed by sam). Each team has a rotation
with a shift, a component with an integration and a capacity row. maria must see and change
Payments' rows only; "root" (staff in the "Rota admins" group) sees and changes both.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.core.exceptions import FieldDoesNotExist
from django.test import RequestFactory
from rest_framework.test import APIClient

from core.admin_scope import RotaAdminOnly, TeamScopedAdmin
from incidents.models import Incident, Integration
from notifications.models import NotificationPreference
from ownership.models import Component, Membership, Team
from portal.demo.seed import managers_group_sync
from reports.models import TeamCapacity
from rota.models import Rotation, Shift
from tests.incidents.factories import IntegrationFactory
from tests.ownership.factories import (
    ComponentFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    rota_admin,
)
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2030, 1, 7, 9, tzinfo=datetime.UTC)
TEAM_HOOK = "https://hooks.example.invalid/services/T0/B0/teamsecretAAAA1111"
PERSON_HOOK = "https://hooks.example.invalid/services/T0/B0/personsecretBBBB2222"
BUFFER_HOOK = "https://hooks.example.invalid/services/T0/B0/buffersecretCCCC3333"
SIGNING = "signing-secret-DDDD-4444-very-long"


def make_manager(team, username):
    manager = UserFactory(username=username, is_staff=True)
    manager.groups.add(managers_group_sync())
    MembershipFactory(team=team, user=manager, role=Membership.Role.MANAGER)
    return manager


@pytest.fixture
def org():
    payments = TeamFactory(name="Payments", slug="payments", chat_webhook_url=TEAM_HOOK)
    search = TeamFactory(name="Search", slug="search", chat_webhook_url=TEAM_HOOK + "x")
    maria = make_manager(payments, "maria")
    sam = make_manager(search, "sam")
    ana = MembershipFactory(team=payments, user=UserFactory(username="ana")).user
    root = rota_admin(username="root")
    root.groups.add(managers_group_sync())  # the model permissions; the group gives the reach
    rows = {"maria": maria, "sam": sam, "ana": ana, "root": root}
    for team, prefix in ((payments, "pay"), (search, "search")):
        rotation = RotationFactory(team=team, name=f"{prefix}-oncall")
        component = ComponentFactory(name=f"{prefix}-api", slug=f"{prefix}-api", owner_team=team)
        rows[f"{prefix}_team"] = team
        rows[f"{prefix}_rotation"] = rotation
        rows[f"{prefix}_shift"] = ShiftFactory(rotation=rotation, start=START, user=ana)
        rows[f"{prefix}_component"] = component
        rows[f"{prefix}_integration"] = IntegrationFactory(
            name=f"{prefix}-prometheus", component=component, signing_secret=SIGNING
        )
        rows[f"{prefix}_capacity"] = TeamCapacity.objects.create(
            team=team, alert_webhook_url=BUFFER_HOOK
        )
    NotificationPreference.objects.create(user=ana, chat_webhook_url=PERSON_HOOK)
    return rows


def logged_in(client, user):
    client.force_login(user)
    return client


# (changelist URL, the text naming Payments' row, the text naming Search's row)
LISTS = [
    ("/admin/rota/rotation/", "pay-oncall", "search-oncall"),
    ("/admin/rota/shift/", "pay-oncall", "search-oncall"),
    ("/admin/ownership/component/", "pay-api", "search-api"),
    ("/admin/incidents/integration/", "pay-prometheus", "search-prometheus"),
]


@pytest.mark.parametrize(("url", "mine", "theirs"), LISTS)
def test_a_manager_lists_only_their_teams_rows(client, org, url, mine, theirs):
    response = logged_in(client, org["maria"]).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert mine in html
    assert theirs not in html


@pytest.mark.parametrize(("url", "mine", "theirs"), LISTS)
def test_a_rota_admin_lists_every_teams_rows(client, org, url, mine, theirs):
    html = logged_in(client, org["root"]).get(url).content.decode()
    assert mine in html and theirs in html


CHANGE_PAGES = [
    ("rota", "rotation", "rotation"),
    ("rota", "shift", "shift"),
    ("ownership", "component", "component"),
    ("incidents", "integration", "integration"),
    ("ownership", "team", "team"),
    ("reports", "teamcapacity", "capacity"),
]


@pytest.mark.parametrize(("app", "model", "key"), CHANGE_PAGES)
def test_another_teams_change_page_is_forbidden_to_a_manager(client, org, app, model, key):
    client = logged_in(client, org["maria"])
    theirs = client.get(f"/admin/{app}/{model}/{org[f'search_{key}'].pk}/change/")
    assert theirs.status_code == 403
    mine = client.get(f"/admin/{app}/{model}/{org[f'pay_{key}'].pk}/change/")
    assert mine.status_code == 200
    # Nor may they delete it.
    gone = client.post(f"/admin/{app}/{model}/{org[f'search_{key}'].pk}/delete/", {"post": "yes"})
    assert gone.status_code == 403
    assert type(org[f"search_{key}"]).objects.filter(pk=org[f"search_{key}"].pk).exists()


@pytest.mark.parametrize(("app", "model", "key"), CHANGE_PAGES)
def test_a_rota_admin_opens_every_teams_change_page(client, org, app, model, key):
    row = org[f"search_{key}"]
    response = logged_in(client, org["root"]).get(f"/admin/{app}/{model}/{row.pk}/change/")
    assert response.status_code == 200
    # The page is that row's form, not an empty or another row's one.
    assert response.context["original"] == row


def regenerate(client, *integrations):
    return client.post(
        "/admin/incidents/integration/",
        {
            "action": "regenerate",
            helpers.ACTION_CHECKBOX_NAME: [i.pk for i in integrations],
            "index": 0,
        },
    )


def test_a_manager_cannot_regenerate_another_teams_integration_url(client, org):
    theirs = org["search_integration"]
    before = theirs.token_hash
    response = regenerate(logged_in(client, org["maria"]), theirs)
    assert response.status_code == 403
    theirs.refresh_from_db()
    # Search's alerting still works: its URL (token) is unchanged.
    assert theirs.token_hash == before
    # Picking their own with another team's is refused as a whole.
    mine = org["pay_integration"]
    mine_before = mine.token_hash
    assert regenerate(client, mine, theirs).status_code == 403
    mine.refresh_from_db()
    assert mine.token_hash == mine_before


def test_a_manager_regenerates_their_own_integration_url_and_sees_it_once(client, org):
    mine = org["pay_integration"]
    before = mine.token_hash
    response = regenerate(logged_in(client, org["maria"]), mine)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.token_hash != before
    # The team's managers configure alerting with it: shown in the message, once.
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("Webhook URL of pay-prometheus" in m for m in shown)


def test_a_rota_admin_regenerates_any_integration_url(client, org):
    theirs = org["search_integration"]
    before = theirs.token_hash
    assert regenerate(logged_in(client, org["root"]), theirs).status_code == 302
    theirs.refresh_from_db()
    assert theirs.token_hash != before


# (app, model, owner field, the key of Payments' and Search's choice)
PICKERS = [
    ("rota", "rotation", "team", "team"),
    ("ownership", "component", "owner_team", "team"),
    ("rota", "shift", "rotation", "rotation"),
    ("rota", "override", "rotation", "rotation"),
    ("incidents", "integration", "component", "component"),
    ("reports", "teamcapacity", "team", "team"),
]


def picked_ids(client, app, model, field):
    response = client.get(
        "/admin/autocomplete/", {"app_label": app, "model_name": model, "field_name": field}
    )
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(("app", "model", "field", "key"), PICKERS)
def test_a_managers_owner_pickers_offer_only_their_teams(client, org, app, model, field, key):
    ids = picked_ids(logged_in(client, org["maria"]), app, model, field)
    assert str(org[f"pay_{key}"].pk) in ids
    assert str(org[f"search_{key}"].pk) not in ids


@pytest.mark.parametrize(("app", "model", "field", "key"), PICKERS)
def test_a_rota_admins_owner_pickers_offer_everything(client, org, app, model, field, key):
    ids = picked_ids(logged_in(client, org["root"]), app, model, field)
    assert {str(org[f"pay_{key}"].pk), str(org[f"search_{key}"].pk)} <= ids


def test_a_picker_that_gives_no_team_still_offers_every_team(client, org):
    # The teams taking turns in a team rotation may be any team (names are public).
    ids = picked_ids(logged_in(client, org["maria"]), "rota", "rotationparticipant", "team")
    assert {str(org["pay_team"].pk), str(org["search_team"].pk)} <= ids


def test_a_manager_cannot_give_a_component_to_another_team(client, org):
    client = logged_in(client, org["maria"])
    response = client.post(
        "/admin/ownership/component/add/",
        {
            "name": "Stolen",
            "slug": "stolen",
            "kind": "service",
            "tier": 2,
            "owner_team": org["search_team"].pk,
            "paths-TOTAL_FORMS": 0,
            "paths-INITIAL_FORMS": 0,
            "ownership_periods-TOTAL_FORMS": 0,
            "ownership_periods-INITIAL_FORMS": 0,
        },
    )
    # The choice is not offered, so the form refuses it by name.
    assert response.status_code == 200
    assert "owner_team" in response.context["adminform"].form.errors
    assert not Component.objects.filter(slug="stolen").exists()


def test_a_manager_cannot_put_an_override_on_another_teams_rotation(client, org):
    response = logged_in(client, org["maria"]).post(
        "/admin/rota/override/add/",
        {
            "rotation": org["search_rotation"].pk,
            "start": "2030-01-08 09:00",
            "end": "2030-01-08 17:00",
            "user": org["ana"].pk,
            "reason": "cover",
        },
    )
    assert response.status_code == 200
    assert "rotation" in response.context["adminform"].form.errors
    assert not org["search_rotation"].overrides.exists()


def test_teams_are_added_by_rota_admins_only(client, org):
    assert logged_in(client, org["maria"]).get("/admin/ownership/team/add/").status_code == 403
    assert logged_in(client, org["root"]).get("/admin/ownership/team/add/").status_code == 200


def test_the_catalog_import_is_for_rota_admins_only(client, org):
    # An import may re-own every team's components.
    maria = logged_in(client, org["maria"])
    assert maria.get("/admin/ownership/component/import-catalog/").status_code == 403
    assert "Import catalog" not in maria.get("/admin/ownership/component/").content.decode()
    root = logged_in(client, org["root"])
    assert root.get("/admin/ownership/component/import-catalog/").status_code == 200


# --- Secrets ------------------------------------------------------------------------------

SECRET_PAGES = [
    ("ownership", "team", "pay_team", TEAM_HOOK),
    ("reports", "teamcapacity", "pay_capacity", BUFFER_HOOK),
    ("incidents", "integration", "pay_integration", SIGNING),
]


@pytest.mark.parametrize("who", ["maria", "root"])
@pytest.mark.parametrize(("app", "model", "key", "secret"), SECRET_PAGES)
def test_secrets_are_shown_masked_never_in_full(client, org, who, app, model, key, secret):
    client = logged_in(client, org[who])
    page = client.get(f"/admin/{app}/{model}/{org[key].pk}/change/").content.decode()
    assert secret not in page
    assert f"set — ends …{secret[-4:]}" in page
    listing = client.get(f"/admin/{app}/{model}/").content.decode()
    assert secret not in listing


def test_a_persons_webhook_is_masked_in_the_preferences_admin(client, org):
    preference = NotificationPreference.objects.get(user=org["ana"])
    client = logged_in(client, org["root"])
    url = f"/admin/notifications/notificationpreference/{preference.pk}/change/"
    page = client.get(url).content.decode()
    assert PERSON_HOOK not in page
    assert "set — ends …2222" in page


@pytest.mark.parametrize("who", ["maria", "sam"])
def test_preferences_are_closed_to_managers_in_the_admin(client, org, who):
    # ana is in maria's team, not sam's: preferences are personal, so neither of them sees
    # or changes ana's (a manager could otherwise point her pages at their own webhook).
    preference = NotificationPreference.objects.get(user=org["ana"])
    client = logged_in(client, org[who])
    base = "/admin/notifications/notificationpreference/"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}{preference.pk}/change/").status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    response = client.post(
        f"{base}{preference.pk}/change/",
        {
            "user": org["ana"].pk,
            "timezone": "UTC",
            "chat_enabled": "on",
            "chat_webhook_url": "https://attacker.example.com/hook",
            "lead_times": "[30]",
        },
    )
    assert response.status_code == 403
    preference.refresh_from_db()
    assert (preference.chat_webhook_url, preference.email_enabled) == (PERSON_HOOK, True)
    # Nor is the model offered on the admin index, nor its person picker.
    assert "notificationpreference" not in client.get("/admin/").content.decode()
    picker = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "notifications",
            "model_name": "notificationpreference",
            "field_name": "user",
        },
    )
    assert picker.status_code == 403


def test_a_view_only_page_shows_the_masked_state_too(client, org):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_team"))
    MembershipFactory(team=org["pay_team"], user=viewer, role=Membership.Role.MANAGER)
    page = logged_in(client, viewer).get(f"/admin/ownership/team/{org['pay_team'].pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert TEAM_HOOK not in html
    assert "set — ends …1111" in html


def integration_form(integration, **changes):
    return {
        "name": integration.name,
        "kind": integration.kind,
        "component": integration.component_id,
        "active": "on",
        "grouping": integration.grouping,
        "default_severity": integration.default_severity,
        "rate_limit_per_minute": integration.rate_limit_per_minute,
        "signing_secret": "",
        **changes,
    }


def test_a_secret_left_empty_is_kept_typed_is_replaced_and_ticked_is_removed(client, org):
    mine = org["pay_integration"]
    url = f"/admin/incidents/integration/{mine.pk}/change/"
    client = logged_in(client, org["maria"])

    assert client.post(url, integration_form(mine, name="renamed")).status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.signing_secret) == ("renamed", SIGNING)

    new = "another-secret-EEEE-5555-long"
    assert client.post(url, integration_form(mine, signing_secret=new)).status_code == 302
    mine.refresh_from_db()
    assert mine.signing_secret == new

    assert client.post(url, integration_form(mine, signing_secret_clear="on")).status_code == 302
    mine.refresh_from_db()
    assert mine.signing_secret == ""


# --- Every admin is scoped or closed ------------------------------------------------------


def _reaches_team(model, path) -> bool:
    for part in path.split("__"):
        if part == "id":
            return model is Team
        try:
            model = model._meta.get_field(part).related_model
        except FieldDoesNotExist:
            return False
        if model is None:
            return False
    return model is Team


def test_every_registered_admin_is_scoped_to_a_managers_teams_or_closed_to_them(org):
    # A manager holding EVERY permission of the site, so that only the admins' own rules
    # stand between them and other teams' rows.
    manager = org["maria"]
    manager.user_permissions.add(*Permission.objects.all())
    manager = type(manager).objects.get(pk=manager.pk)  # drop the permission cache
    request = RequestFactory().get("/admin/")
    request.user = manager
    unguarded = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if isinstance(model_admin, TeamScopedAdmin):
            paths = model_admin.team_paths
            if not paths or not all(_reaches_team(model, path) for path in paths):
                unguarded.append(f"{label}: team_paths {paths} do not all end at a team")
            for name in model_admin.owner_fields:
                related = model._meta.get_field(name).related_model
                if not isinstance(admin.site._registry.get(related), TeamScopedAdmin):
                    unguarded.append(f"{label}: owner field {name} is not a scoped model")
        elif isinstance(model_admin, RotaAdminOnly):
            rights = [
                model_admin.has_module_permission(request),
                model_admin.has_view_permission(request),
                model_admin.has_add_permission(request),
                model_admin.has_change_permission(request),
                model_admin.has_delete_permission(request),
            ]
            if any(rights):
                unguarded.append(f"{label}: open to a manager {rights}")
        else:
            unguarded.append(f"{label}: neither scoped nor closed")
    assert unguarded == []


def test_scoped_admins_hide_other_teams_rows_from_a_manager_with_every_permission(org):
    manager = org["maria"]
    manager.user_permissions.add(*Permission.objects.all())
    request = RequestFactory().get("/admin/")
    request.user = type(manager).objects.get(pk=manager.pk)
    # Rows of both teams exist for these models; the manager's querysets hold Payments' only.
    expected = {
        Rotation: org["pay_rotation"],
        Shift: org["pay_shift"],
        Component: org["pay_component"],
        Integration: org["pay_integration"],
        Team: org["pay_team"],
        TeamCapacity: org["pay_capacity"],
    }
    for model, mine in expected.items():
        assert list(admin.site._registry[model].get_queryset(request)) == [mine], model


# --- The API applies the same rule --------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_manager_who_is_staff_cannot_change_other_teams_through_the_api(org):
    maria = api(org["maria"])
    # Before, staff changed every team in the API; maria is staff to use the admin.
    search_rotation = org["search_rotation"]
    patched = maria.patch(f"/api/v1/rotations/{search_rotation.pk}/", {"name": "mine"})
    assert patched.status_code == 403
    assert maria.patch("/api/v1/teams/search/", {"name": "Mine"}).status_code == 403
    integration = org["search_integration"]
    regenerated = maria.post(f"/api/v1/integrations/{integration.pk}/regenerate/")
    assert regenerated.status_code in (403, 404)
    search_rotation.refresh_from_db()
    assert search_rotation.name == "search-oncall"
    assert Team.objects.get(slug="search").name == "Search"
    # Her own team's rotation she changes.
    own = maria.patch(f"/api/v1/rotations/{org['pay_rotation'].pk}/", {"name": "pay-primary"})
    assert own.status_code == 200, own.content


def test_a_rota_admin_changes_every_team_through_the_api(org):
    root = api(org["root"])
    response = root.patch(f"/api/v1/rotations/{org['search_rotation'].pk}/", {"name": "x"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "x"
    assert Rotation.objects.get(pk=org["search_rotation"].pk).name == "x"
    team = root.patch("/api/v1/teams/search/", {"name": "Search 2"})
    assert team.status_code == 200
    assert team.json()["name"] == "Search 2"
    assert Team.objects.get(slug="search").name == "Search 2"


def test_a_manager_opens_an_incident_on_another_teams_component_but_does_not_see_it(client, org):
    # Anyone opens incidents (as in the API); the incident is then Search's, not maria's.
    client = logged_in(client, org["maria"])
    response = client.post(
        "/admin/incidents/incident/add/",
        {"title": "Search is down", "severity": "SEV2", "component": org["search_component"].pk},
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Search is down")
    assert incident.responding_team == org["search_team"]
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert page.status_code == 403


def test_the_leave_import_offers_a_manager_only_their_teams_and_people(client, org):
    response = logged_in(client, org["maria"]).get("/admin/rota/unavailability/import/")
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["team"].queryset) == [org["pay_team"]]
    people = set(form.fields["user"].queryset.values_list("username", flat=True))
    assert people == {"maria", "ana"}
    # A rota admin is offered every team.
    form = logged_in(client, org["root"]).get("/admin/rota/unavailability/import/").context["form"]
    assert {org["pay_team"], org["search_team"]} <= set(form.fields["team"].queryset)
