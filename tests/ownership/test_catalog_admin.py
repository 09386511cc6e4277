"""The catalog import page and export actions of the component admin."""

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ownership.models import Component, ComponentPath, Team
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CATALOG = b"""\
kind: Group
metadata:
  name: payments
  title: Payments
---
kind: Component
metadata:
  name: invoices
  annotations:
    rota.dev/paths: /billing/invoices/
spec:
  type: service
  owner: payments
"""


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client():
    return client_for(UserFactory(username="root", is_staff=True, is_superuser=True))


def upload(client, content, name="catalog-info.yaml", **data):
    url = reverse("admin:ownership_component_import_catalog")
    return client.post(url, {"file": SimpleUploadedFile(name, content), **data})


def test_import_page_shows_the_form_and_the_list_links_to_it(admin_client):
    url = reverse("admin:ownership_component_import_catalog")

    page = admin_client.get(url)
    changelist = admin_client.get(reverse("admin:ownership_component_changelist"))

    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    assert b'name="dry_run"' in page.content
    assert f'href="{url}"'.encode() in changelist.content


def test_dry_run_upload_shows_the_report_and_saves_nothing(admin_client):
    response = upload(admin_client, CATALOG, dry_run="on")

    assert response.status_code == 200
    assert not Team.objects.exists()
    assert response.context["report"].count("created") == 2
    assert b"Dry run: what the import would do" in response.content
    assert b"created Component invoices" in response.content


def test_upload_imports_and_records_the_acting_user(admin_client):
    response = upload(admin_client, CATALOG)

    assert response.status_code == 200
    invoices = Component.objects.get(slug="invoices")
    assert invoices.owner_team.slug == "payments"
    period = invoices.ownership_periods.get()
    assert (period.changed_by.username, period.note) == ("root", "catalog import")
    assert b"created 2, changed 0, skipped 0" in response.content

    again = upload(admin_client, CATALOG)
    assert b"Nothing to change: the catalog already matches the file." in again.content


def test_upload_of_a_bad_file_shows_every_error_and_changes_nothing(admin_client):
    bad = CATALOG.replace(b"owner: payments", b"owner: ghosts").replace(b"  name: pay", b"  x: ")

    response = upload(admin_client, bad)

    assert response.status_code == 200
    assert not Team.objects.exists() and not Component.objects.exists()
    assert len(response.context["errors"]) == 2
    assert b"The file was not imported: nothing was changed." in response.content
    assert b"metadata.name is missing" in response.content
    assert b"owner &#x27;ghosts&#x27; is not a Group" in response.content


def test_upload_of_codeowners_is_told_apart_by_its_name(admin_client):
    TeamFactory(slug="payments")

    response = upload(admin_client, b"/billing/ @acme/payments\n", name="CODEOWNERS", org="acme")

    assert response.status_code == 200
    assert ComponentPath.objects.get(pattern="/billing/").component.slug == "billing"


def test_non_staff_users_are_refused(db):
    client = client_for(UserFactory(username="engineer"))

    response = upload(client, CATALOG)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not Team.objects.exists()


def test_staff_without_component_permissions_are_refused(db):
    staff = UserFactory(username="viewer", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_component"))
    client = client_for(staff)

    response = upload(client, CATALOG)

    assert response.status_code == 403
    assert not Team.objects.exists()


def test_export_actions_download_the_selected_components(admin_client):
    team = TeamFactory(slug="payments")
    chosen = ComponentFactory(slug="invoices", owner_team=team, paths=["/billing/invoices/"])
    ComponentFactory(slug="other", owner_team=team, paths=["/other/"])
    url = reverse("admin:ownership_component_changelist")

    as_yaml = admin_client.post(
        url, {"action": "export_selected_as_catalog", "_selected_action": [chosen.pk]}
    )
    as_codeowners = admin_client.post(
        url, {"action": "export_selected_as_codeowners", "_selected_action": [chosen.pk]}
    )

    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"] == "application/yaml; charset=utf-8"
    assert as_yaml["Content-Disposition"] == 'attachment; filename="catalog-info.yaml"'
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(as_yaml.content)]
    assert names == ["payments", "invoices"]
    assert as_codeowners["Content-Disposition"] == 'attachment; filename="CODEOWNERS"'
    body = as_codeowners.content.decode()
    assert "# component: invoices\n/billing/invoices/ @org/payments\n" in body
    assert "/other/" not in body


def test_export_actions_are_not_offered_to_non_staff(db):
    client = client_for(UserFactory(username="engineer"))

    response = client.post(
        reverse("admin:ownership_component_changelist"),
        {"action": "export_selected_as_catalog", "_selected_action": [1]},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
