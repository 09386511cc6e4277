"""The admin's import pages: upload, dry run, map the unknown services, apply, follow."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from importers.models import ImportRun
from importers.services import _progress_key
from incidents.models import Incident, Page
from portal.celery import app as celery_app
from tests.ownership.factories import MembershipFactory, UserFactory, rota_admin

from .incident_world import sample, world_fixture  # noqa: F401 (fixture)

NEW = "admin:importers_importrun_new"


@pytest.fixture
def eager():
    """Run Celery tasks in the caller, as a worker would, once the transaction commits."""
    # The services publish by task name; registering the task here, as a worker does, lets
    # the eager run find it.
    from importers import tasks  # noqa: F401

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def upload(client, name, filename, **extra):
    return client.post(
        reverse(NEW),
        {"importer": name, "file": SimpleUploadedFile(filename, sample(filename)), **extra},
    )


def test_dry_run_map_apply_and_follow(world, eager, django_capture_on_commit_callbacks):
    client = signed_in(rota_admin())
    index = client.get(reverse("admin:index"))
    assert reverse(NEW) in index.content.decode()
    assert client.get(reverse(NEW)).status_code == 200

    response = upload(client, "pagerduty-incidents", "pagerduty_incidents.csv")
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    # The dry run wrote nothing, and lists the two services no component matches.
    assert Incident.objects.count() == 0
    assert (run.status, run.unmapped) == ("checked", ["Checkout API", "Legacy Billing"])
    assert run.report["created"] == {"incident": 3}
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Dry run: what the import would do" in page
    assert "line 2 (incident #101)" in page and "unknown service &quot;Checkout API&quot;" in page
    assert '<label for="id_service_0">Checkout API:</label>' in page

    client.post(run.get_absolute_url(), {"service_0": "checkout", "service_1": "ledger"})
    run.refresh_from_db()
    assert run.options["mapping"] == {"Checkout API": "checkout", "Legacy Billing": "ledger"}
    assert (run.unmapped, run.report["created"]) == ([], {"incident": 5})
    assert Incident.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run.get_absolute_url(), {"apply": "1"})
    assert response.status_code == 302
    run.refresh_from_db()
    # Six rows read; five imported, line 8 left out (no created time).
    assert (run.status, run.done, run.total) == ("done", 6, 6)
    assert run.report["dry_run"] is False and run.report["created"] == {"incident": 5}
    assert Incident.objects.filter(source="pagerduty").count() == 5
    assert Page.objects.count() == 0
    page = client.get(run.get_absolute_url()).content.decode()
    assert "What the import did" in page and 'http-equiv="refresh"' not in page

    # The incident list filters the imported ones by their source.
    superuser = signed_in(UserFactory(is_staff=True, is_superuser=True))
    listed = superuser.get(reverse("admin:incidents_incident_changelist"), {"source": "pagerduty"})
    assert listed.context["cl"].result_count == 5

    # Applied once: a second apply is refused, nothing is queued again.
    client.post(run.get_absolute_url(), {"apply": "1"})
    assert Incident.objects.count() == 5


def test_a_running_import_shows_its_progress_and_refreshes(world):
    client = signed_in(rota_admin())
    upload(client, "opsgenie-alerts", "opsgenie_alerts.json")
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(status="running")
    cache.set(_progress_key(run.pk), (3, 6))
    page = client.get(run.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress value="3" max="6">' in page and "3 of 6 rows read" in page


def test_a_file_of_another_kind_is_refused_with_the_reason(world):
    client = signed_in(rota_admin())
    client.post(
        reverse(NEW),
        {"importer": "grafana-oncall-alert-groups", "file": SimpleUploadedFile("x.json", b"{}")},
    )
    run = ImportRun.objects.get()
    assert run.status == "refused"
    page = client.get(run.get_absolute_url()).content.decode()
    assert "expected the alert groups API&#x27;s JSON" in page
    assert 'name="apply"' not in page


def test_a_bad_mapping_file_is_named_on_the_form(world):
    client = signed_in(rota_admin())
    response = upload(
        client,
        "pagerduty-incidents",
        "pagerduty_incidents.csv",
        mapping=SimpleUploadedFile("map.yaml", b"- checkout\n"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["mapping"][0].startswith("give one line per service")
    assert ImportRun.objects.count() == 0


def test_only_rota_admins_import(world):
    manager = MembershipFactory(team=world["payments"], role="manager").user
    manager.is_staff = True
    manager.save()
    client = signed_in(manager)
    assert reverse(NEW) not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse(NEW)).status_code == 403
    assert upload(client, "pagerduty-incidents", "pagerduty_incidents.csv").status_code == 403
    assert ImportRun.objects.count() == 0

    run = ImportRun.objects.create(importer="opsgenie-alerts", file_name="a.json", data=b"[]")
    assert client.get(run.get_absolute_url()).status_code == 403
    assert client.post(run.get_absolute_url(), {"apply": "1"}).status_code == 403
    assert ImportRun.objects.get().status == "checked"

    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert signed_in(superuser).get(reverse(NEW)).status_code == 200


# The README's bug mapping, onto the world's components (worked out on paper against
# samples/jira_bugs.csv): PAY-101, PAY-102 (Payments -> ledger), CHK-7, CHK-9 (Checkout UI ->
# checkout) are placed; WEB-3 ("Legacy UI", "Web shop") and WEB-4 ("Legacy UI") are not;
# PAY-110 is a Story.
BUG_MAPPING = """\
components:
  Payments: ledger
  Checkout UI: checkout
severity:
  customer-impact: SEV2
outcome:
  Obsolete: wont_fix
issue_types: [Bug, Defect]
jira_url: https://example.atlassian.net
"""


def test_bug_importers_take_their_documented_mapping_and_offer_the_picker(world):
    client = signed_in(rota_admin())
    response = upload(
        client,
        "jira-bugs",
        "jira_bugs.csv",
        mapping=SimpleUploadedFile("map.yaml", BUG_MAPPING.encode()),
        options="timezone=Europe/London",
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    run = ImportRun.objects.get()
    assert run.status == "checked" and run.report["created"] == {"bug": 4}
    assert run.unmapped == ["Legacy UI", "Web shop"]
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Components and labels without a component" in page
    assert '<label for="id_service_0">Legacy UI:</label>' in page
    assert "<strong>line 8 (WEB-4)</strong>: component &quot;Legacy UI&quot; is no Rota" in page

    # Legacy UI -> search-api places WEB-3 and WEB-4 as well: six bugs, nothing unmapped.
    client.post(run.get_absolute_url(), {"service_0": "search-api"})
    run.refresh_from_db()
    assert run.report["created"] == {"bug": 6} and run.unmapped == []
    assert run.options["mapping"]["components"] == {
        "Payments": "ledger",
        "Checkout UI": "checkout",
        "Legacy UI": "search-api",
    }
    assert run.options["mapping"]["jira_url"] == "https://example.atlassian.net"

    # The next Jira import starts from that mapping, picks included.
    form = client.get(reverse(NEW), {"importer": "jira-bugs"}).context["form"]
    assert form.initial["importer"] == "jira-bugs"
    assert "Legacy UI: search-api" in form.initial["mapping_text"]
    assert "jira_url: https://example.atlassian.net" in form.initial["mapping_text"]


def test_a_bug_mapping_given_as_text_is_checked_by_the_bug_importer(world):
    client = signed_in(rota_admin())
    response = upload(
        client, "github-bugs", "github_issues.json", mapping_text="components:\n  x: nowhere\n"
    )
    assert response.status_code == 200
    assert response.context["form"].errors["mapping_text"] == [
        '"x" maps to "nowhere", which is no Rota component'
    ]
    response = upload(client, "github-bugs", "github_issues.json", mapping_text="labels: {}\n")
    assert response.context["form"].errors["mapping_text"][0].startswith("unknown key labels")
    assert ImportRun.objects.count() == 0
