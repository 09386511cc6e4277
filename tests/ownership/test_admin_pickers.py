"""Team managers pick people (and teams, rotations, components) in every admin form they use.

A manager is staff, in the managers' group (every permission of the rota's own apps) and a
manager of a team, but has no right to see or edit users.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from ownership.admin_people import person_picker_fields
from ownership.models import Membership
from portal.demo.seed import MANAGED_APPS, managers_group_sync
from rota.models import Rotation
from tests.rota.factories import RotationFactory, SprintCalendarFactory, TeamRotationFactory

from .factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/admin/autocomplete/"

# Every person picker the admin offers; a new one must be added here and covered below.
PERSON_PICKERS = {
    ("rota", "shift", "user"),
    ("rota", "override", "user"),
    ("rota", "rotationparticipant", "user"),
    ("rota", "unavailability", "user"),
    ("ownership", "membership", "user"),
    ("notifications", "notificationpreference", "user"),
}
# Preferences are personal: their admin, and so its picker, is the rota admins' alone.
ROTA_ADMINS_PICKERS = {("notifications", "notificationpreference", "user")}


def make_manager(team, username="maria"):
    manager = UserFactory(username=username, is_staff=True)
    manager.groups.add(managers_group_sync())
    MembershipFactory(team=team, user=manager, role=Membership.Role.MANAGER)
    return manager


@pytest.fixture
def org():
    """Payments (managed by maria) and Search (not hers), with their rotations.

    maria's people: her team (ana, bo, lee and herself), cara (no team, but in the Payments
    on-call turn order), pat (Platform takes turns in the Payments team rotation) and oli (Ops
    takes the turns of the team rotation that Payments' follow-up rotation follows). Not hers:
    sam, sid and zoe (only in Search and its rotation) and ina (in Payments but deactivated).
    """
    payments, search = TeamFactory(name="Payments"), TeamFactory(name="Search")
    platform, ops = TeamFactory(name="Platform"), TeamFactory(name="Ops")
    usernames = ["ana", "bo", "lee", "cara", "pat", "oli", "sam", "sid", "zoe"]
    users = {name: UserFactory(username=name) for name in usernames}
    users["ina"] = UserFactory(username="ina", is_active=False)
    for name, role in (
        ("ana", "engineer"),
        ("bo", "engineer"),
        ("lee", "lead"),
        ("ina", "engineer"),
    ):
        MembershipFactory(team=payments, user=users[name], role=role)
    MembershipFactory(team=platform, user=users["pat"])
    MembershipFactory(team=ops, user=users["oli"])
    MembershipFactory(team=search, user=users["sam"], role=Membership.Role.MANAGER)
    MembershipFactory(team=search, user=users["sid"])
    RotationFactory(team=payments, participants=[users["ana"], users["cara"]])
    TeamRotationFactory(team=payments, participants=[payments, platform])
    ops_rotation = TeamRotationFactory(participants=[ops])
    RotationFactory(team=payments, follows_team_rotation=ops_rotation)
    RotationFactory(team=search, participants=[users["sid"], users["zoe"]])
    users["maria"] = make_manager(payments)
    return users


MARIAS_PEOPLE = ["ana", "bo", "cara", "lee", "maria", "oli", "pat"]
EVERYONE_ACTIVE = ["ana", "bo", "cara", "lee", "maria", "oli", "pat", "sam", "sid", "zoe"]


def pick(client, app_label, model_name, field_name, term=""):
    query = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
    return client.get(AUTOCOMPLETE, {**query, "term": term})


def names(response):
    return sorted(row["text"] for row in response.json()["results"])


def test_the_list_of_person_pickers_is_complete():
    assert person_picker_fields(admin.site) == PERSON_PICKERS


def test_no_admin_picks_people_through_a_raw_id_field():
    # A raw-id picker opens the user list in a popup, which managers may not see: in the apps
    # managers work in, people are picked through autocompletes only.
    user_model = get_user_model()
    raw = [
        (owner.model._meta.label, name)
        for model_admin in admin.site._registry.values()
        for owner in (model_admin, *model_admin.inlines)
        for name in owner.raw_id_fields
        if owner.model._meta.app_label in MANAGED_APPS
        and owner.model._meta.get_field(name).remote_field.model is user_model
    ]
    assert raw == []


@pytest.mark.parametrize("picker", sorted(ROTA_ADMINS_PICKERS))
def test_a_manager_cannot_use_a_rota_admins_person_picker(client, org, picker):
    client.force_login(org["maria"])
    assert pick(client, *picker).status_code == 403


@pytest.mark.parametrize("picker", sorted(PERSON_PICKERS - ROTA_ADMINS_PICKERS))
def test_a_manager_picks_their_people_in_every_person_picker(client, org, picker):
    client.force_login(org["maria"])
    response = pick(client, *picker)
    assert response.status_code == 200, picker
    # A new team member is by definition not yet one of hers: that picker offers everyone.
    expected = EVERYONE_ACTIVE if picker == ("ownership", "membership", "user") else MARIAS_PEOPLE
    assert names(response) == expected


def test_a_managers_search_stays_among_their_people(client, org):
    client.force_login(org["maria"])
    assert names(pick(client, "rota", "override", "user", term="ana")) == ["ana"]
    # sid exists but is not hers: found nowhere but in the membership picker.
    assert names(pick(client, "rota", "override", "user", term="sid")) == []
    assert names(pick(client, "ownership", "membership", "user", term="sid")) == ["sid"]


def test_a_manager_still_cannot_see_or_edit_users(client, org):
    client.force_login(org["maria"])
    ana = org["ana"]
    assert client.get(f"/admin/auth/user/{ana.pk}/change/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403
    # Popups of the user list (what a raw-id picker would open) stay closed too.
    assert client.get("/admin/auth/user/", {"_popup": "1", "_to_field": "id"}).status_code == 403
    index = client.get("/admin/").content.decode()
    assert "/admin/auth/user/" not in index


@pytest.mark.parametrize(
    "field",
    [
        # User fields that no admin form offers as a picker.
        ("rota", "shiftchange", "changed_by"),
        ("incidents", "incident", "responder"),
        ("auth", "group", "user"),
    ],
)
def test_a_manager_cannot_read_people_through_other_user_fields(client, org, field):
    client.force_login(org["maria"])
    assert pick(client, *field).status_code == 403


def test_a_staff_member_managing_no_team_may_not_pick_people(client, org):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.groups.add(managers_group_sync())
    client.force_login(clerk)
    assert pick(client, "rota", "override", "user").status_code == 403


def test_a_manager_without_rights_on_the_form_may_not_use_its_picker(client, org):
    # Staff and manager of a team, but not in the managers' group: no right to add overrides.
    bare = UserFactory(username="bare", is_staff=True)
    MembershipFactory(team=TeamFactory(), user=bare, role=Membership.Role.MANAGER)
    client.force_login(bare)
    assert pick(client, "rota", "override", "user").status_code == 403


def test_an_engineer_is_sent_to_the_login_page(client, org):
    client.force_login(org["ana"])
    response = pick(client, "rota", "override", "user")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_superuser_still_picks_anyone(client, org):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    # Django's rules, unchanged: everyone, the deactivated ina included.
    expected = sorted([*EVERYONE_ACTIVE, "ina", "root"])
    assert names(pick(client, "rota", "override", "user")) == expected


NON_PERSON_PICKERS = [
    # (source, field, a name the answer must hold)
    (("rota", "shift", "rotation"), "Payments on-call"),
    (("rota", "shift", "team"), "Payments"),
    (("rota", "override", "rotation"), "Payments on-call"),
    (("rota", "override", "team"), "Payments"),
    (("rota", "rotationparticipant", "team"), "Platform"),
    (("rota", "rotation", "team"), "Payments"),
    (("rota", "rotation", "sprint_calendar"), "Payments sprints"),
    (("rota", "rotation", "follows_team_rotation"), "Payments support"),
    (("rota", "unavailability", "team"), "Payments"),
    (("rota", "supportpolicy", "components"), "Payments API"),
    (("rota", "supportpolicy", "team_rotation"), "Payments support"),
    (("rota", "supportpolicy", "dedicated_team"), "Payments"),
    (("rota", "routingsettings", "fallback_team"), "Payments"),
    (("ownership", "component", "parent"), "Payments API"),
    (("ownership", "component", "owner_team"), "Payments"),
    (("ownership", "membership", "team"), "Payments"),
    (("incidents", "bug", "component"), "Payments API"),
    (("incidents", "bug", "team"), "Payments"),
    (("incidents", "incident", "component"), "Payments API"),
    (("incidents", "integration", "component"), "Payments API"),
    (("reports", "teamcapacity", "team"), "Payments"),
]


@pytest.mark.parametrize(("picker", "expected"), NON_PERSON_PICKERS)
def test_a_manager_picks_teams_rotations_and_components(client, org, picker, expected):
    payments = Rotation.objects.filter(team__name="Payments", kind="person").first().team
    Rotation.objects.filter(team=payments, kind="person", follows_team_rotation=None).update(
        name="Payments on-call"
    )
    Rotation.objects.filter(team=payments, kind="team").update(name="Payments support")
    SprintCalendarFactory(name="Payments sprints")
    ComponentFactory(name="Payments API", slug="payments-api", owner_team=payments)
    client.force_login(org["maria"])
    response = pick(client, *picker, term=expected)
    assert response.status_code == 200, picker
    assert expected in names(response), picker
