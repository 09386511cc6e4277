"""Managers reach the report pages from the admin: its index lists them, every page links them."""

import pytest
from django.urls import reverse

from portal.demo.seed import managers_group_sync
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

REPORTS = ["reports-load", "reports-fairness", "reports-incidents", "reports-model-comparison"]


@pytest.fixture
def manager(client):
    """A team manager: staff, in the managers' group, not a superuser."""
    user = UserFactory(username="maria", is_staff=True)
    user.groups.add(managers_group_sync())
    MembershipFactory(team=TeamFactory(slug="payments"), user=user, role="manager")
    client.force_login(user)
    return user


def test_the_admin_index_lists_every_report(client, manager):
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="reports-module"' in page
    for name in REPORTS:
        assert f'href="{reverse(name)}"' in page, name
    # The app list is still there beneath the reports.
    assert reverse("admin:rota_shift_changelist") in page


def test_every_admin_page_links_the_reports_index(client, manager):
    page = client.get(reverse("admin:rota_shift_changelist")).content.decode()
    assert f'<a href="{reverse("reports-index")}">Reports</a>' in page


def test_the_linked_report_pages_open_for_the_manager(client, manager):
    for name in ["reports-index", *REPORTS]:
        assert client.get(reverse(name)).status_code == 200, name
