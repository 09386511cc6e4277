"""Sign-in with the organisation's identity provider, end to end in Chromium.

The provider is real (tests/oidc/provider.mjs: oidc-provider on 127.0.0.1, started by the
``oidc_provider`` fixture); the browser clicks "Sign in with Test IdP" on Rota's sign-in page,
fills the provider's login form, and comes back through the code exchange, the ID token
check and the userinfo call. Each sign-in uses a fresh browser context, so the provider's
own session never carries over.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.permissions import ROTA_ADMINS_GROUP
from ownership.models import Membership
from portal.oidc.models import ClaimGrant, Identity
from tests.browser.conftest import DESKTOP
from tests.browser.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider  # noqa: F401
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

User = get_user_model()
PROVIDER_NAME = "Test IdP"
GROUPS = """{
  "payments-managers": {"team": "payments", "role": "manager"},
  "payments-devs": {"team": "payments"},
  "search-leads": {"team": "search", "role": "lead"},
  "billing-managers": {"team": "billing", "role": "manager"},
  "rota-admins": "rota_admin"
}"""


@pytest.fixture
def idp(oidc_provider, settings):  # noqa: F811
    """Configure Rota for the test provider (by discovery, as in production)."""
    settings.ROTA_OIDC = {
        **settings.ROTA_OIDC,
        "PROVIDER_NAME": PROVIDER_NAME,
        "ISSUER": oidc_provider.issuer,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "SCOPES": "openid email profile groups",
        "GROUPS": GROUPS,
    }
    # As ROTA_OIDC_ISSUER in the environment gives it: sign-out's form may go on to the provider.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], oidc_provider.issuer]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    # Flushed between transactional tests: the groups the migrations and the demo create.
    Group.objects.get_or_create(name=ROTA_ADMINS_GROUP)
    Group.objects.get_or_create(name="Managers")
    return oidc_provider


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def new_page():
        context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def sign_in_at_provider(page, idp, login, start="/accounts/login/"):
    """Click the provider's button on Rota's sign-in page and sign in there as ``login``."""
    page.goto(start)
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_url(f"{idp.issuer}/interaction/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("whatever the provider checks")
    page.locator("button.login-submit").click()
    page.wait_for_load_state("networkidle")


def signed_in_as(page) -> str:
    """Return the name in the page header ("" when nobody is signed in)."""
    who = page.locator("header .who")
    return who.inner_text() if who.count() else ""


def test_a_new_person_gets_an_account_at_first_sign_in(idp, new_page, live_server):
    idp.set_people(
        {
            "nina": {
                "email": "Nina.Novak@example.org",
                "email_verified": True,
                "given_name": "Nina",
                "family_name": "Novak",
            }
        }
    )
    page = new_page()
    sign_in_at_provider(page, idp, "nina")

    assert page.url == f"{live_server.url}/"
    assert signed_in_as(page) == "Nina Novak"
    # Worked out by hand: the username is the address's local part, lowercased.
    user = User.objects.get()
    assert (user.username, user.email) == ("nina.novak", "Nina.Novak@example.org")
    assert (user.first_name, user.last_name) == ("Nina", "Novak")
    assert not user.has_usable_password()
    assert list(Identity.objects.values_list("user", "issuer", "subject")) == [
        (user.pk, idp.issuer, "nina")
    ]


def test_an_existing_account_is_matched_by_email_whatever_its_case(idp, new_page, live_server):
    maria = UserFactory(
        username="maria.garcia", email="maria.garcia@example.org", first_name="Maria"
    )
    idp.set_people(
        {
            "mgarcia": {
                "email": "MARIA.Garcia@Example.ORG",
                "email_verified": True,
                "given_name": "María",
                "family_name": "García",
            }
        }
    )
    page = new_page()
    # Sent to sign in from My rota, she comes back there.
    sign_in_at_provider(page, idp, "mgarcia", start="/accounts/login/?next=/me/")

    assert page.url == f"{live_server.url}/me/"
    assert signed_in_as(page) == "María García"
    assert list(User.objects.values_list("pk", "username")) == [(maria.pk, "maria.garcia")]
    assert Identity.objects.get().user_id == maria.pk

    # The second time the link (issuer, sub) finds her, even with another address there.
    idp.set_people({"mgarcia": {"email": "m.garcia@example.org", "email_verified": True}})
    page = new_page()
    sign_in_at_provider(page, idp, "mgarcia")
    assert signed_in_as(page) == "María García"
    assert User.objects.count() == 1


def test_groups_give_team_roles_and_take_back_only_what_they_gave(idp, new_page):
    payments = TeamFactory(slug="payments", name="Payments")
    search = TeamFactory(slug="search", name="Search")
    billing = TeamFactory(slug="billing", name="Billing")
    omar = UserFactory(username="omar", email="omar@example.org")
    MembershipFactory(team=billing, user=omar, role=Membership.Role.ENGINEER)  # by hand
    person = {"email": "omar@example.org", "email_verified": True}
    idp.set_people(
        {
            "omar": {
                **person,
                "groups": [
                    "payments-devs",
                    "payments-managers",
                    "search-leads",
                    "billing-managers",
                    "rota-admins",
                    "canteen-committee",
                ],
            }
        }
    )
    page = new_page()
    sign_in_at_provider(page, idp, "omar")
    assert signed_in_as(page)

    # Worked out on paper: payments from two groups takes the higher role (manager);
    # billing was given by hand as engineer and is raised to the mapped manager; the canteen
    # group maps to nothing.
    omar.refresh_from_db()
    roles = dict(omar.memberships.values_list("team__slug", "role"))
    assert roles == {"payments": "manager", "search": "lead", "billing": "manager"}
    assert set(omar.groups.values_list("name", flat=True)) == {ROTA_ADMINS_GROUP, "Managers"}
    assert omar.is_staff
    assert page.get_by_role("link", name="Admin").is_visible()

    # Next sign-in the provider lists search-leads only: what the claims gave goes, and
    # billing is lowered back to its hand-given engineer.
    idp.set_people({"omar": {**person, "groups": ["search-leads"]}})
    page = new_page()
    sign_in_at_provider(page, idp, "omar")
    assert signed_in_as(page)

    omar.refresh_from_db()
    roles = dict(omar.memberships.values_list("team__slug", "role"))
    assert roles == {"search": "lead", "billing": "engineer"}
    assert not omar.groups.exists()
    assert not omar.is_staff
    assert ClaimGrant.objects.get().membership.team == search
    assert not Membership.objects.filter(team=payments).exists()


def test_a_disabled_account_is_refused_with_a_reason(idp, new_page):
    UserFactory(username="olga", email="olga@example.org", is_active=False)
    idp.set_people({"olga": {"email": "olga@example.org", "email_verified": True}})
    page = new_page()
    sign_in_at_provider(page, idp, "olga")

    assert page.url.endswith("/accounts/login/")
    assert page.get_by_role("status").inner_text() == (
        "Your Rota account (olga) is disabled. Ask a rota admin to enable it."
    )
    assert signed_in_as(page) == ""
    assert not Identity.objects.exists()
    page.goto("/me/")
    assert "/accounts/login/" in page.url


def test_an_unverified_address_matches_no_account(idp, new_page):
    UserFactory(username="piet", email="piet@example.org")
    idp.set_people({"piet": {"email": "piet@example.org", "email_verified": False}})
    page = new_page()
    sign_in_at_provider(page, idp, "piet")

    assert page.url.endswith("/accounts/login/")
    assert "has not verified your e-mail address (piet@example.org)" in (
        page.get_by_role("status").inner_text()
    )
    assert signed_in_as(page) == ""
    assert User.objects.count() == 1
    assert not Identity.objects.exists()


def test_passwords_still_sign_in_beside_the_provider(idp, new_page, live_server):
    UserFactory(username="quinn", first_name="Quinn", last_name="Lee", password="pass-word-123")
    page = new_page()
    page.goto("/accounts/login/")
    assert page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").is_visible()
    page.get_by_label("Username").fill("quinn")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    assert signed_in_as(page) == "Quinn Lee"


def test_signing_out_ends_the_provider_session_too(idp, new_page, live_server):
    idp.set_people({"olga": {"email": "olga@example.org", "email_verified": True}})
    page = new_page()
    sign_in_at_provider(page, idp, "olga")
    assert signed_in_as(page) == "olga"

    page.get_by_role("button", name="Sign out").click()
    # The provider asks to confirm (RP-initiated logout), then sends the browser back.
    page.wait_for_url(f"{idp.issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server.url}/**")
    assert signed_in_as(page) == ""

    # Same browser: the provider asks who you are again instead of signing olga straight in.
    page.goto("/accounts/login/")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_url(f"{idp.issuer}/interaction/**")
    assert page.locator("input[name=login]").count() == 1


def test_a_wrong_client_secret_says_sign_in_is_misconfigured(idp, new_page, settings, caplog):
    settings.ROTA_OIDC = {**settings.ROTA_OIDC, "CLIENT_SECRET": "not-the-secret"}
    idp.set_people({"olga": {"email": "olga@example.org", "email_verified": True}})
    page = new_page()
    sign_in_at_provider(page, idp, "olga")

    assert signed_in_as(page) == ""
    assert page.locator(".messages").inner_text().strip() == (
        f"Sign-in with {PROVIDER_NAME} is misconfigured: tell a rota admin. "
        "Meanwhile, sign in with your Rota password."
    )
    errors = [r for r in caplog.records if r.name == "portal.oidc.views"]
    assert [r.levelname for r in errors] == ["ERROR"]
    assert "401" in errors[0].getMessage()
