"""What the schedule importers refuse whole, and how they say it (a user trial's findings).

Each importer recognises its own format strictly and refuses another tool's JSON (nothing
written, exit 1 on the command line); option errors refuse the import too; error messages quote
at most a short excerpt of the input; the admin's form explains each importer's mapping and
names form options (``rotation=``), never command-line flags; staff who are not rota admins get
an admin page saying only rota admins can import.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from importers.base import ImportRefused, execute
from importers.models import ImportRun
from importers.registry import get
from importers.services import import_run_check
from ownership.models import Membership, Team
from rota.models import Rotation
from tests.importers import test_schedule_grafana as grafana
from tests.importers import test_schedule_opsgenie as opsgenie
from tests.importers import test_schedule_pagerduty as pagerduty
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory, rota_admin

pytestmark = pytest.mark.django_db


def refused(name: str, doc, **options) -> str:
    with pytest.raises(ImportRefused) as caught:
        execute(get(name).run, json.dumps(doc).encode(), source=name, options=options)
    return str(caught.value)


def test_grafana_refuses_an_opsgenie_bundle_and_writes_nothing(tmp_path):
    # The trial: an Opsgenie bundle given to the Grafana importer made a team "Search_schedule".
    assert refused("grafana-oncall-schedules", opsgenie.bundle()) == (
        "no on_call_shifts section: this is not a Grafana OnCall bundle (it looks like "
        "Opsgenie's API JSON); expected one JSON object with the sections users, teams, "
        "schedules, on_call_shifts, escalation_chains, escalation_policies (see README)"
    )
    path = tmp_path / "opsgenie.json"
    path.write_text(json.dumps(opsgenie.bundle()))
    with pytest.raises(CommandError, match="this is not a Grafana OnCall bundle"):
        call_command("import_grafana_oncall", str(path))
    assert (Team.objects.count(), Rotation.objects.count()) == (0, 0)


def test_each_json_importer_refuses_the_other_tools_files():
    pd_bundle, og_bundle, gf_bundle = pagerduty.BUNDLE, opsgenie.bundle(), grafana.bundle()
    assert refused("opsgenie-schedules", pd_bundle) == (
        "this is not Opsgenie's API JSON: it looks like PagerDuty's API JSON; import it with "
        "that importer"
    )
    assert refused("opsgenie-schedules", gf_bundle).startswith(
        "this is not Opsgenie's API JSON: it looks like a Grafana OnCall bundle"
    )
    assert refused("pagerduty-schedules", og_bundle, team="x").startswith(
        "this is not PagerDuty's API JSON: it looks like Opsgenie's API JSON"
    )
    assert refused("pagerduty-schedules", gf_bundle, team="x").startswith(
        "this is not PagerDuty's API JSON: it looks like a Grafana OnCall bundle"
    )
    assert refused("grafana-oncall-schedules", pd_bundle).startswith(
        "no on_call_shifts section: this is not a Grafana OnCall bundle (it looks like "
        "PagerDuty's API JSON)"
    )


def test_a_bad_ical_line_is_named_by_number_with_a_short_excerpt(tmp_path):
    # Line 3 is 5000 x's without a colon: the message quotes its first 79 characters and "…".
    data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + "x" * 5000 + "\r\nEND:VCALENDAR\r\n"
    with pytest.raises(ImportRefused) as caught:
        execute(get("ical-schedule").run, data.encode(), source="ical", options={})
    assert str(caught.value) == f"not an iCalendar file (line 3 cannot be read: '{'x' * 79}…')"
    path = tmp_path / "bad.ics"
    path.write_text(data)
    with pytest.raises(CommandError) as caught:
        call_command("import_schedule", "ical-schedule", str(path), "--rotation", "R")
    assert (
        str(caught.value) == f"{path}: not an iCalendar file (line 3 cannot be read: '{'x' * 79}…')"
    )


def test_a_long_value_in_a_json_file_is_quoted_short():
    # (A zone name this long also made zoneinfo raise OSError, file name too long: reported now.)
    doc = opsgenie.bundle()
    doc["schedules"][0]["timezone"] = "Europe/" + "y" * 400
    report = opsgenie.run(doc)
    (message,) = [p.message for p in report.problems if p.where == 'schedule "platform_schedule"']
    # "Europe/" and 72 y's make 79 characters, then "…".
    assert message == f'timezone "Europe/{"y" * 72}…" is not an IANA time zone'


def test_a_mistyped_team_or_a_missing_one_exits_1_writing_nothing(tmp_path):
    TeamFactory(slug="platform")
    path = tmp_path / "pd.json"
    path.write_text(json.dumps(pagerduty.BUNDLE))
    with pytest.raises(CommandError) as caught:
        call_command("import_pagerduty", str(path), "--team", "nosuchteam")
    assert str(caught.value) == (
        'Nothing was imported: option team: no Rota team has the slug "nosuchteam"'
    )
    with pytest.raises(CommandError, match="option team: give the Rota team of the schedules"):
        call_command("import_pagerduty", str(path))
    mapping = tmp_path / "map.yaml"
    mapping.write_text("Platform: platfrom\n")
    with pytest.raises(CommandError, match="mapping teams: no Rota team has the slug 'platfrom'"):
        call_command("import_pagerduty", str(path), "--mapping", str(mapping))
    # An option the importer does not take is refused, not ignored.
    with pytest.raises(CommandError, match=r"this importer takes no rotation= \(it takes no "):
        call_command("import_schedule", "opsgenie-schedules", str(path), "--rotation", "R")
    assert Rotation.objects.count() == 0


def test_the_admin_form_explains_each_importers_mapping_and_names_form_options():
    client = Client()
    client.force_login(rota_admin())
    page = client.get(reverse("admin:importers_importrun_new")).content.decode()
    assert (
        "PagerDuty schedules and escalation policies (API JSON): {schedule name or id: team "
        "slug}" in page
    )
    assert "Any iCalendar schedule: {summary text of the events: username or e-mail}" in page
    assert "(schedules: {name in the source: username or e-mail})" not in page
    run = import_run_check(
        importer="ical-schedule",
        file_name="a.ics",
        data=b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        options={},
        by=None,
    )
    assert run.error == "option rotation: give the rotation's name (rotation=NAME)"


def test_a_manager_gets_an_admin_page_saying_only_rota_admins_import():
    manager = MembershipFactory(
        team=TeamFactory(), role=Membership.Role.MANAGER, user=UserFactory(is_staff=True)
    ).user
    run = ImportRun.objects.create(importer="ical-schedule", file_name="a.ics", data=b"")
    client = Client()
    client.force_login(manager)
    for url in (
        reverse("admin:importers_importrun_changelist"),
        reverse("admin:importers_importrun_new"),
        run.get_absolute_url(),
        reverse("admin:importers_importrun_delete", args=[run.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        body = response.content.decode()
        assert "Only rota admins can import" in body
        assert 'id="site-name"' in body  # the admin's own header, not a bare "403 Forbidden"
    admin = Client()
    admin.force_login(rota_admin())
    response = admin.get(reverse("admin:importers_importrun_changelist"))
    assert response.status_code == 200
    assert "Only rota admins can import" not in response.content.decode()
