"""What ``manage.py seed_demo`` loads, seeded once for the module (tests.seed_once): each test
starts from the demo as seeded. The command's refusals, on an empty database, are in
test_seed_demo_guards."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from core.caches import clear_all as clear_caches
from core.permissions import is_rota_admin
from ownership.models import Component, Membership, OwnershipPeriod, Team
from ownership.selectors import component_owner_at, ownership_for_path
from portal.demo.seed import DEMO_LOGINS, DEMO_PASSWORD, username_for
from tests.seed_once import rolled_back_seed

User = get_user_model()


def authenticate(*, username, password):
    """Check a password as the sign-in page does: with the request the login limits count."""
    request = RequestFactory().post("/accounts/login/")
    return django_authenticate(request, username=username, password=password)


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    with rolled_back_seed(django_db_blocker, seed) as output:
        yield output


@pytest.fixture
def seeded(seeded_once, db):
    """What the command printed; the database holds the demo as seeded."""
    clear_caches()
    yield seeded_once
    clear_caches()


def test_creates_product_teams_each_with_one_manager_and_one_lead(seeded):
    product = Team.objects.exclude(slug__in=["sre", "platform"])
    assert product.count() >= 6
    assert Team.objects.filter(slug="sre").exists()
    for team in product:
        roles = list(team.memberships.values_list("role", flat=True))
        assert 5 <= len(roles) <= 7, team.slug
        assert roles.count(Membership.Role.MANAGER) == 1, team.slug
        assert roles.count(Membership.Role.LEAD) == 1, team.slug
        assert team.email.endswith("@example.com")
        assert team.chat_channel.startswith("#")
    zones = set(Team.objects.values_list("timezone", flat=True))
    assert {"Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata"} <= zones


def test_product_teams_hold_a_weekly_triage(seeded):
    payments = Team.objects.get(slug="payments")
    assert (payments.triage_day, payments.triage_time.isoformat()) == ("monday", "10:00:00")
    assert not Team.objects.exclude(slug__in=["sre"]).filter(triage_day="").exists()


def test_builds_a_catalog_of_areas_with_inherited_and_foreign_owners(seeded):
    assert Component.objects.count() >= 30
    areas = Component.objects.filter(kind=Component.Kind.AREA)
    assert areas.count() >= 6
    assert all(area.children.exists() for area in areas)
    inherited = Component.objects.filter(owner_team__isnull=True, parent__isnull=False)
    assert inherited.exists()
    assert all(c.effective_owner_team_id == c.parent.effective_owner_team_id for c in inherited)
    owned_inside_an_area = Component.objects.filter(
        owner_team__isnull=False, parent__isnull=False
    ).select_related("parent")
    assert any(c.owner_team_id != c.parent.effective_owner_team_id for c in owned_inside_an_area)
    with_paths = Component.objects.filter(paths__isnull=False).distinct().count()
    assert with_paths >= 0.8 * Component.objects.count()


def test_answers_path_lookups_with_the_most_specific_component(seeded):
    found = ownership_for_path(path="services/billing/api/invoices.py")
    assert found.component.slug == "billing"
    assert found.component.effective_owner_team.slug == "payments"
    assert ownership_for_path(path="services/billing/invoices/pdf.py").component.slug == (
        "invoicing"
    )
    assert ownership_for_path(path="services/orders/api/v2/order.proto").pattern == "*.proto"


def test_records_a_reorg_in_the_ownership_history(seeded):
    search_api = Component.objects.get(slug="search-api")
    assert search_api.effective_owner_team.slug == "search"
    periods = list(search_api.ownership_periods.order_by("valid_from"))
    assert [p.team.slug for p in periods] == ["catalog", "search"]
    reorg = periods[0].valid_to
    assert timezone.now() - timedelta(days=365) < reorg < timezone.now() - timedelta(days=30)
    before = component_owner_at(component=search_api, at=reorg - timedelta(days=1))
    assert before.team.slug == "catalog"
    assert OwnershipPeriod.objects.filter(note__startswith="Re-org").count() >= 4


def test_demo_logins_authenticate_with_the_demo_password(seeded):
    for username, _ in DEMO_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and is_rota_admin(admin)
    manager = User.objects.get(username="maria.garcia")
    assert manager.is_staff and not manager.is_superuser
    # Staff to work in the admin, where she sees Payments only: not a rota admin.
    assert not is_rota_admin(manager)
    assert manager.has_perm("ownership.change_component")
    assert manager.groups.filter(name="Managers").exists()
    engineer = User.objects.get(username="alice.martin")
    assert not engineer.is_staff
    assert not engineer.has_perm("ownership.change_component")
    # Everyone else exists for the rota but cannot sign in with the published password.
    assert authenticate(username=username_for("Tom Hughes"), password=DEMO_PASSWORD) is None


def test_every_manager_is_staff_and_in_the_managers_group(seeded):
    managers = User.objects.filter(memberships__role=Membership.Role.MANAGER).distinct()
    assert managers.count() == Team.objects.count()
    assert all(m.is_staff and m.groups.filter(name="Managers").exists() for m in managers)
    assert not any(is_rota_admin(m) for m in managers)
    assert list(
        User.objects.filter(groups__name="Rota admins").values_list("username", flat=True)
    ) == ["admin"]


def test_prints_the_logins_and_a_warning(seeded):
    assert "maria.garcia" in seeded
    output = seed("--print-logins")
    assert all(username in output for username, _ in DEMO_LOGINS)
    assert DEMO_PASSWORD in output
    assert "demo credentials" in output


def test_if_empty_leaves_a_seeded_database_alone(seeded):
    counts = (User.objects.count(), Team.objects.count(), Component.objects.count())
    output = seed("--if-empty")
    assert "not empty" in output
    assert (User.objects.count(), Team.objects.count(), Component.objects.count()) == counts


def test_the_demo_manager_works_on_payments_only_in_the_admin(seeded, client):
    # maria.garcia manages Payments: her rotation list in the admin names Payments' rotations
    # and none of another team's (the demo has several teams with rotations).
    from rota.models import Rotation

    client.force_login(User.objects.get(username="maria.garcia"))
    html = client.get("/admin/rota/rotation/?all=").content.decode()
    payments = Rotation.objects.filter(team__slug="payments")
    others = Rotation.objects.exclude(team__slug="payments").exclude(
        participants__team__slug="payments"
    )
    assert payments.exists() and others.exists()
    assert all(r.name in html for r in payments)
    assert not any(f">{r.name}<" in html for r in others)
