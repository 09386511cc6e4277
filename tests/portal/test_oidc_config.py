"""Sign-in with an identity provider: its settings, checks, pages when off or unreachable, and
the group sync on its own (the browser flow is in tests/browser/test_oidc_signin.py)."""

import socket

import pytest
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from core.permissions import ROTA_ADMINS_GROUP
from ownership.models import Membership
from portal.oidc import config
from portal.oidc.models import ClaimGrant
from portal.oidc.services import SignInRefused, oidc_claims_sync, oidc_sign_in
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

ISSUER = "https://idp.example.com"


@pytest.fixture
def oidc(settings):
    """Return a function that sets ROTA_OIDC_* (by their short names) over the defaults."""

    def configure(**values):
        settings.ROTA_OIDC = {**settings.ROTA_OIDC, **values}

    return configure


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_the_group_mapping_reads_teams_roles_and_rota_admin(oidc):
    oidc(
        GROUPS='{"pay": {"team": "payments", "role": "lead"}, "dev": {"team": "search"},'
        ' "ops": ["rota_admin", {"team": "ops", "role": "manager"}]}'
    )
    assert config.group_mapping() == {
        "pay": [config.Grant(team="payments", role="lead")],
        "dev": [config.Grant(team="search", role="engineer")],
        "ops": [config.Grant(rota_admin=True), config.Grant(team="ops", role="manager")],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "ROTA_OIDC_GROUPS is not valid JSON"),
        ('["a"]', "ROTA_OIDC_GROUPS must be a JSON object"),
        ('{"pay": {"team": "payments", "role": "boss"}}', "ROTA_OIDC_GROUPS['pay']: role 'boss'"),
        ('{"pay": "admin"}', "ROTA_OIDC_GROUPS['pay']: expected \"rota_admin\""),
        ('{"pay": {"role": "lead"}}', "ROTA_OIDC_GROUPS['pay']: expected"),
    ],
)
def test_a_wrong_group_mapping_is_refused_naming_the_group(oidc, text, message):
    oidc(GROUPS=text)
    with pytest.raises(ImproperlyConfigured) as caught:
        config.group_mapping()
    assert str(caught.value).startswith(message)


def test_check_names_what_a_half_configuration_lacks(oidc):
    oidc(CLIENT_ID="rota", GROUPS='{"x": "admin"}')
    errors = [m for m in run_checks() if m.id == "oidc.E001"]
    assert [e.msg.split(" ")[0] for e in errors] == [
        "ROTA_OIDC_CLIENT_SECRET",
        "Set",
        "ROTA_OIDC_GROUPS['x']:",
    ]
    assert "ROTA_OIDC_ISSUER" in errors[1].msg


def test_check_reports_every_wrong_group_at_once(oidc):
    # Three wrong entries (two groups, one of them a list with a bad item) and a good one:
    # three errors, in the setting's order, the good entry in none.
    oidc(
        CLIENT_ID="rota",
        CLIENT_SECRET="s",
        ISSUER="https://idp.example.com",
        GROUPS='{"x": "admin", "ok": {"team": "pay"}, '
        '"y": [{"team": "pay", "role": "boss"}, "rota_admin", {"role": "lead"}]}',
    )
    errors = [m.msg for m in run_checks() if m.id == "oidc.E001"]
    assert [e.split(":")[0] for e in errors] == [
        "ROTA_OIDC_GROUPS['x']",
        "ROTA_OIDC_GROUPS['y']",
        "ROTA_OIDC_GROUPS['y']",
    ]
    assert "role 'boss' is not one of" in errors[1]
    assert 'got {"role": "lead"}' in errors[2]


def test_check_is_silent_when_off_and_warns_of_plain_http_for_deploy(oidc):
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id.startswith("oidc")]
    oidc(CLIENT_ID="rota", CLIENT_SECRET="s", ISSUER="http://idp.example.com")
    found = [m for m in run_checks(include_deployment_checks=True) if m.id.startswith("oidc")]
    assert [(m.id, m.msg.split(" ")[0]) for m in found] == [("oidc.W001", "ROTA_OIDC_ISSUER")]


@pytest.mark.django_db
def test_when_off_the_sign_in_page_has_no_button_and_the_steps_do_not_exist(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=a&state=b").status_code == 404


@pytest.mark.django_db
def test_an_unreachable_provider_sends_people_back_to_the_password_form(client, oidc):
    oidc(
        PROVIDER_NAME="Okta",
        CLIENT_ID="rota",
        CLIENT_SECRET="s",
        ISSUER=f"http://127.0.0.1:{closed_port()}",
    )
    page = client.get("/accounts/login/?next=/me/")
    assert b'href="/accounts/oidc/authenticate/?next=/me/">Sign in with Okta</a>' in page.content
    answer = client.get("/accounts/oidc/authenticate/?next=/me/", follow=True)
    assert answer.redirect_chain == [("/accounts/login/", 302)]
    assert [str(m) for m in answer.context["messages"]] == [
        "Okta cannot be reached just now; try again in a minute, or sign in with your "
        "Rota password."
    ]
    assert b'name="password"' in answer.content


@pytest.mark.django_db
def test_a_refusal_at_the_provider_and_a_stale_callback_say_so(client, oidc):
    oidc(
        PROVIDER_NAME="Okta",
        CLIENT_ID="rota",
        CLIENT_SECRET="s",
        AUTHORIZATION_ENDPOINT="https://idp.example.com/authorize",
        TOKEN_ENDPOINT="https://idp.example.com/token",
        USERINFO_ENDPOINT="https://idp.example.com/userinfo",
        JWKS_ENDPOINT="https://idp.example.com/keys",
    )
    answer = client.get("/accounts/oidc/callback/?error=access_denied&state=x", follow=True)
    assert [str(m) for m in answer.context["messages"]] == [
        "Okta did not sign you in (access_denied)."
    ]
    answer = client.get("/accounts/oidc/callback/?code=abc&state=never-issued", follow=True)
    assert [str(m) for m in answer.context["messages"]] == [
        "The sign-in did not complete (it may have expired); please try again."
    ]
    assert not answer.context["user"].is_authenticated


@pytest.mark.django_db
def test_the_start_step_sends_the_browser_to_the_provider_with_pkce(client, oidc):
    oidc(
        CLIENT_ID="rota",
        CLIENT_SECRET="never-in-a-browser",
        AUTHORIZATION_ENDPOINT="https://idp.example.com/authorize",
        TOKEN_ENDPOINT="https://idp.example.com/token",
        USERINFO_ENDPOINT="https://idp.example.com/userinfo",
        JWKS_ENDPOINT="https://idp.example.com/keys",
    )
    answer = client.get("/accounts/oidc/authenticate/")
    assert answer.status_code == 302
    location = answer["Location"]
    assert location.startswith("https://idp.example.com/authorize?response_type=code&")
    for part in (
        "client_id=rota",
        "scope=openid+email+profile",
        "redirect_uri=http%3A%2F%2Ftestserver%2Faccounts%2Foidc%2Fcallback%2F",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
    ):
        assert part in location
    assert "never-in-a-browser" not in location


GROUPS = '{"pay": {"team": "payments", "role": "manager"}, "admins": "rota_admin"}'


@pytest.mark.django_db
def test_manual_groups_and_staff_survive_the_claims_going_away(oidc):
    oidc(GROUPS=GROUPS)
    TeamFactory(slug="payments")
    admins = Group.objects.get_or_create(name=ROTA_ADMINS_GROUP)[0]
    Group.objects.get_or_create(name="Managers")
    user = UserFactory(is_staff=True)
    user.groups.add(admins)  # a rota admin by hand

    oidc_claims_sync(user=user, groups=["pay", "admins"])
    # Rota admins and staff were there already: only the membership and Managers are claimed.
    granted = {
        (g.membership.team.slug if g.membership else None, str(g.group or ""))
        for g in ClaimGrant.objects.filter(user=user).select_related("membership__team", "group")
    }
    assert granted == {("payments", ""), (None, "Managers")}

    oidc_claims_sync(user=user, groups=[])
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == [ROTA_ADMINS_GROUP]
    assert user.is_staff
    assert not user.memberships.exists()
    assert not ClaimGrant.objects.exists()


@pytest.mark.django_db
def test_a_team_the_mapping_names_but_rota_lacks_is_skipped(oidc, caplog):
    oidc(GROUPS='{"pay": {"team": "payments"}, "web": {"team": "website", "role": "lead"}}')
    website = TeamFactory(slug="website")
    user = UserFactory()
    oidc_claims_sync(user=user, groups=["pay", "web"])
    assert list(user.memberships.values_list("team", "role")) == [(website.pk, "lead")]
    assert "ROTA_OIDC_GROUPS names team 'payments', which does not exist" in caplog.text


@pytest.mark.django_db
def test_a_membership_removed_by_hand_comes_back_at_the_next_sign_in(oidc):
    oidc(GROUPS=GROUPS)
    payments = TeamFactory(slug="payments")
    user = UserFactory()
    oidc_claims_sync(user=user, groups=["pay"])
    Membership.objects.filter(user=user).delete()  # its grant goes with it
    oidc_claims_sync(user=user, groups=["pay"])
    assert list(user.memberships.values_list("team", "role")) == [(payments.pk, "manager")]
    assert ClaimGrant.objects.filter(user=user, membership__isnull=False).count() == 1


@pytest.mark.django_db
def test_two_accounts_with_one_address_refuse_the_match():
    MembershipFactory(user__email="sam@example.org")
    UserFactory(email="SAM@example.org")
    with pytest.raises(SignInRefused, match="Several Rota accounts have the e-mail address"):
        oidc_sign_in(issuer=ISSUER, claims={"sub": "1", "email": "sam@example.org"})


@pytest.mark.django_db
def test_a_new_username_avoids_one_taken():
    UserFactory(username="alex")
    UserFactory(username="alex-2")
    user = oidc_sign_in(issuer=ISSUER, claims={"sub": "9", "email": "Alex@other.example"})
    assert user.username == "alex-3"


@pytest.mark.django_db
def test_a_manager_claim_raises_a_hand_given_role_and_gives_it_back(oidc):
    # Worked out on paper: ana is an engineer of Payments by hand. The claim "pay" says
    # manager: the membership becomes manager (recorded as raised from engineer), and she gets
    # staff and Managers. The claim gone: engineer again, not staff, no Managers, no grant.
    oidc(GROUPS=GROUPS)
    payments = TeamFactory(slug="payments")
    Group.objects.get_or_create(name="Managers")
    user = UserFactory(is_staff=False)
    membership = MembershipFactory(team=payments, user=user, role="engineer")

    oidc_claims_sync(user=user, groups=["pay"])
    membership.refresh_from_db()
    user.refresh_from_db()
    assert membership.role == "manager"
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["Managers"]
    assert ClaimGrant.objects.get(membership=membership).raised_from == "engineer"

    oidc_claims_sync(user=user, groups=[])
    membership.refresh_from_db()
    user.refresh_from_db()
    assert membership.role == "engineer"  # kept: given by hand
    assert not user.is_staff
    assert not user.groups.exists()
    assert not ClaimGrant.objects.exists()


@pytest.mark.django_db
def test_a_lower_claim_leaves_a_hand_given_lead_and_grants_no_admin(oidc):
    # A lead by hand whose claim says engineer stays lead; a claim below manager gives
    # neither staff nor Managers (the empty admin of before).
    pay_managers = '"pay-managers": {"team": "payments", "role": "manager"}'
    oidc(GROUPS='{"pay": {"team": "payments"}, ' + pay_managers + "}")
    payments = TeamFactory(slug="payments")
    Group.objects.get_or_create(name="Managers")
    user = UserFactory(is_staff=False)
    membership = MembershipFactory(team=payments, user=user, role="lead")

    oidc_claims_sync(user=user, groups=["pay"])
    membership.refresh_from_db()
    user.refresh_from_db()
    assert membership.role == "lead"
    assert not user.is_staff and not user.groups.exists()
    assert not ClaimGrant.objects.exists()

    # Raised to manager, then the manager claim drops to engineer: back to lead, no staff.
    oidc_claims_sync(user=user, groups=["pay-managers"])
    oidc_claims_sync(user=user, groups=["pay"])
    membership.refresh_from_db()
    user.refresh_from_db()
    assert membership.role == "lead"
    assert not user.is_staff and not user.groups.exists()
    assert not ClaimGrant.objects.exists()
