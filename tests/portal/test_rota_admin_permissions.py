"""A rota admin who is not a superuser gets the whole admin of Rota's apps (README, Roles).

"Rota admins" holds every model permission of Rota's apps, users and groups, tokens and
schedules (core.permissions.rota_admins_permissions_sync, run after each migrate); a
manager keeps only their teams' rows, and nothing of the rota admins' pages.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from core.permissions import ROTA_ADMIN_APPS, ROTA_ADMINS_GROUP, rota_admins_permissions_sync
from ownership.models import Membership, Team
from portal.demo.seed import managers_group_sync
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory, rota_admin
from tests.rota.factories import RotationFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/ownership/team/",
    "/admin/ownership/component/",
    "/admin/rota/rotation/",
    "/admin/rota/sprintcalendar/",
    "/admin/incidents/incident/",
    "/admin/notifications/notificationpreference/",
    "/admin/reports/teamcapacity/",
    "/admin/importers/importrun/",
    "/admin/auth/user/",
    "/admin/auth/group/",
]


@pytest.fixture
def org():
    payments = TeamFactory(name="Payments", slug="payments")
    search = TeamFactory(name="Search", slug="search")
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(managers_group_sync())
    MembershipFactory(team=payments, user=maria, role=Membership.Role.MANAGER)
    RotationFactory(team=search, name="search-oncall")
    # Staff in "Rota admins", no other group, no permission of their own, not a superuser.
    root = rota_admin(username="root")
    return {"payments": payments, "search": search, "maria": maria, "root": root}


def test_the_group_holds_every_permission_of_the_apps():
    group = Group.objects.get(name=ROTA_ADMINS_GROUP)
    expected = Permission.objects.filter(content_type__app_label__in=ROTA_ADMIN_APPS)
    assert expected.count() > 100  # dozens of models, four permissions each
    assert set(group.permissions.all()) == set(expected)
    # Not another app's (axes' access log stays with superusers).
    assert not group.permissions.filter(content_type__app_label="axes").exists()


def test_a_permission_lost_is_given_back_at_the_next_migrate():
    group = Group.objects.get(name=ROTA_ADMINS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="change_team"))
    rota_admins_permissions_sync(app_config=apps.get_app_config("ownership"))
    assert group.permissions.filter(codename="change_team").exists()


def test_a_rota_admin_sees_every_app_on_the_index(client, org):
    client.force_login(org["root"])
    html = client.get("/admin/").content.decode()
    for url in CHANGELISTS:
        assert f'href="{url}"' in html, url


@pytest.mark.parametrize("url", CHANGELISTS)
def test_a_rota_admin_opens_every_changelist(client, org, url):
    client.force_login(org["root"])
    assert client.get(url).status_code == 200


def test_a_rota_admin_saves_a_change(client, org):
    client.force_login(org["root"])
    search = org["search"]
    response = client.post(
        f"/admin/ownership/team/{search.pk}/change/",
        {
            "name": "Search and Discovery",
            "slug": "search",
            "kind": search.kind,
            "timezone": search.timezone,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=search.pk).name == "Search and Discovery"


def test_a_manager_is_still_scoped(client, org):
    client.force_login(org["maria"])
    html = client.get("/admin/").content.decode()
    assert 'href="/admin/ownership/team/"' in html
    assert 'href="/admin/auth/user/"' not in html
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/rota/sprintcalendar/").status_code == 403
    assert client.get(f"/admin/ownership/team/{org['search'].pk}/change/").status_code == 403
    assert client.get(f"/admin/ownership/team/{org['payments'].pk}/change/").status_code == 200


def _user_change_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_a_rota_admin_cannot_make_anyone_a_superuser(client, org):
    # Rota admins manage people, but superuser status (and raw permissions) stay a
    # superuser's to give: root's own edit of himself leaves him a plain rota admin.
    root = org["root"]
    client.force_login(root)
    page = client.get(f"/admin/auth/user/{root.pk}/change/")
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    response = client.post(
        f"/admin/auth/user/{root.pk}/change/",
        _user_change_form(root, is_superuser="on", first_name="Root"),
    )
    assert response.status_code == 302, response.content[:2000]
    root.refresh_from_db()
    assert root.first_name == "Root"  # the edit itself went through
    assert root.is_superuser is False


def test_a_superuser_still_grants_superuser_status(client, org, admin_user):
    client.force_login(admin_user)
    root = org["root"]
    page = client.get(f"/admin/auth/user/{root.pk}/change/")
    assert b'name="is_superuser"' in page.content
    response = client.post(
        f"/admin/auth/user/{root.pk}/change/", _user_change_form(root, is_superuser="on")
    )
    assert response.status_code == 302, response.content[:2000]
    root.refresh_from_db()
    assert root.is_superuser is True
