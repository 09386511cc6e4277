"""A team's manager cannot add a rota admin to their team, nor change or end a rota admin's
membership; rota admins can. Membership reaches a person's pages and leave, so a manager
could otherwise take over the site admins' (see the README, Roles)."""

import pytest
from django.contrib.auth.models import Group

from core.permissions import ROTA_ADMINS_GROUP
from ownership.models import Membership
from portal.demo.seed import managers_group_sync

from .factories import MembershipFactory, TeamFactory, UserFactory, rota_admin

pytestmark = pytest.mark.django_db

MESSAGE = "Only rota admins add, remove or change the membership of a rota admin ({})."


@pytest.fixture
def org():
    payments = TeamFactory(slug="payments", name="Payments")
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(managers_group_sync())
    MembershipFactory(team=payments, user=maria, role=Membership.Role.MANAGER)
    ana = MembershipFactory(team=payments, user=UserFactory(username="ana")).user
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    root = rota_admin(username="root")  # staff in "Rota admins"
    return {"payments": payments, "maria": maria, "ana": ana, "admin": admin, "root": root}


def _members(*pairs):
    return {"members": [{"username": name, "role": role} for name, role in pairs]}


def _roster(team):
    return sorted(team.memberships.values_list("user__username", "role"))


BEFORE = [("ana", "engineer"), ("maria", "manager")]


@pytest.mark.parametrize("target", ["admin", "root"])
def test_a_manager_cannot_add_a_rota_admin_to_their_team(make_client, org, target):
    response = make_client(org["maria"]).patch(
        "/api/v1/teams/payments/",
        _members(("maria", "manager"), ("ana", "engineer"), (target, "engineer")),
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == MESSAGE.format(target)
    assert _roster(org["payments"]) == BEFORE


def test_a_manager_cannot_remove_or_re_role_a_rota_admin(make_client, org):
    MembershipFactory(team=org["payments"], user=org["root"], role=Membership.Role.ENGINEER)
    client = make_client(org["maria"])
    removed = client.patch(
        "/api/v1/teams/payments/",
        _members(("maria", "manager"), ("ana", "engineer")),
        format="json",
    )
    promoted = client.patch(
        "/api/v1/teams/payments/",
        _members(("maria", "manager"), ("ana", "engineer"), ("root", "lead")),
        format="json",
    )
    assert (removed.status_code, promoted.status_code) == (403, 403)
    assert _roster(org["payments"]) == [*BEFORE, ("root", "engineer")]


def test_a_manager_still_runs_the_other_members(make_client, org):
    # Adding an ordinary engineer and re-roling ana touch no rota admin: allowed.
    UserFactory(username="emma")
    response = make_client(org["maria"]).patch(
        "/api/v1/teams/payments/",
        _members(("maria", "manager"), ("ana", "lead"), ("emma", "engineer")),
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _roster(org["payments"]) == [("ana", "lead"), ("emma", "engineer"), ("maria", "manager")]


def test_a_rota_admin_adds_a_rota_admin(make_client, org):
    response = make_client(org["root"]).patch(
        "/api/v1/teams/payments/",
        _members(("maria", "manager"), ("ana", "engineer"), ("admin", "engineer")),
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _roster(org["payments"]) == [("admin", "engineer"), *BEFORE]


def test_staff_outside_the_rota_admins_group_is_no_rota_admin(make_client, org):
    # Staff alone is not enough: someone leaves "Rota admins" and becomes an ordinary member.
    org["root"].groups.remove(Group.objects.get(name=ROTA_ADMINS_GROUP))
    response = make_client(org["maria"]).patch(
        "/api/v1/teams/payments/",
        _members(("maria", "manager"), ("ana", "engineer"), ("root", "engineer")),
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _roster(org["payments"]) == [
        ("ana", "engineer"),
        ("maria", "manager"),
        ("root", "engineer"),
    ]


def _admin_form(team, rows):
    """The team change form with its membership inline: rows of (membership, user, role,
    delete) where membership is None for a new row."""
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
        "public_holidays": "",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for r in rows if r[0] is not None)),
    }
    for n, (membership, user, role, delete) in enumerate(rows):
        data[f"memberships-{n}-id"] = membership.pk if membership else ""
        data[f"memberships-{n}-team"] = team.pk
        data[f"memberships-{n}-user"] = user.pk
        data[f"memberships-{n}-role"] = role
        if delete:
            data[f"memberships-{n}-DELETE"] = "on"
    return data


def _existing(org):
    return [
        (m, m.user, m.role, False)
        for m in org["payments"].memberships.select_related("user").order_by("user__username")
    ]


def test_the_admin_refuses_a_manager_adding_a_rota_admin(client, org):
    client.force_login(org["maria"])
    url = f"/admin/ownership/team/{org['payments'].pk}/change/"
    rows = [*_existing(org), (None, org["admin"], "engineer", False)]
    response = client.post(url, _admin_form(org["payments"], rows))
    assert response.status_code == 200  # the form again, with the error
    assert MESSAGE.format("admin") in response.content.decode()
    assert _roster(org["payments"]) == BEFORE


def test_the_admin_refuses_a_manager_removing_a_rota_admin(client, org):
    MembershipFactory(team=org["payments"], user=org["root"], role=Membership.Role.ENGINEER)
    client.force_login(org["maria"])
    url = f"/admin/ownership/team/{org['payments'].pk}/change/"
    rows = [(m, u, r, u.username == "root") for m, u, r, _ in _existing(org)]
    response = client.post(url, _admin_form(org["payments"], rows))
    assert response.status_code == 200
    assert MESSAGE.format("root") in response.content.decode()
    assert _roster(org["payments"]) == [*BEFORE, ("root", "engineer")]


def test_the_admin_lets_a_manager_add_an_engineer_and_a_rota_admin_add_anyone(client, org):
    emma = UserFactory(username="emma")
    url = f"/admin/ownership/team/{org['payments'].pk}/change/"
    client.force_login(org["maria"])
    rows = [*_existing(org), (None, emma, "engineer", False)]
    response = client.post(url, _admin_form(org["payments"], rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    client.force_login(org["admin"])
    rows = [*_existing(org), (None, org["root"], "engineer", False)]
    response = client.post(url, _admin_form(org["payments"], rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _roster(org["payments"]) == [
        ("ana", "engineer"),
        ("emma", "engineer"),
        ("maria", "manager"),
        ("root", "engineer"),
    ]
