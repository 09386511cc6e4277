import io

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from ownership.models import Component, ComponentPath, Team
from tests.ownership.factories import ComponentFactory, TeamFactory

CATALOG = """\
kind: Group
metadata:
  name: payments
spec:
  profile:
    displayName: Payments
---
kind: Component
metadata:
  name: invoices
  annotations:
    rota.dev/paths: /billing/invoices/
spec:
  type: service
  owner: group:default/payments
---
kind: Resource
metadata:
  name: invoices-db
"""


def run(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "catalog-info.yaml"
    path.write_text(CATALOG)
    return path


@pytest.mark.django_db
def test_import_catalog_prints_the_report_and_is_idempotent(catalog_file):
    out = run("import_catalog", str(catalog_file))

    assert Component.objects.get(slug="invoices").owner_team.slug == "payments"
    assert out.splitlines() == [
        "created Group payments: name 'Payments'; timezone UTC; 0 member(s)",
        "created Component invoices: kind service; tier 3; owner payments; "
        "paths /billing/invoices/",
        "skipped Resource invoices-db: line 17: kind Resource is not part of Rota's catalog",
        "created 2, changed 0, skipped 1 (0 unchanged)",
    ]

    again = run("import_catalog", str(catalog_file))

    assert again.splitlines() == [
        "skipped Resource invoices-db: line 17: kind Resource is not part of Rota's catalog",
        "Nothing to change: the catalog already matches the file.",
        "created 0, changed 0, skipped 1 (2 unchanged)",
    ]


@pytest.mark.django_db
def test_import_catalog_dry_run_from_standard_input_saves_nothing():
    out = run("import_catalog", "-", "--dry-run", stdin=io.StringIO(CATALOG))

    assert not Team.objects.exists()
    assert "Dry run: nothing was saved." in out
    assert out.splitlines()[-1] == "created 2, changed 0, skipped 1 (0 unchanged)"


@pytest.mark.django_db
def test_import_catalog_errors_raise_with_every_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        CATALOG.replace("group:default/payments", "ghosts").replace("  name: pay", "  x: ")
    )

    with pytest.raises(CommandError) as caught:
        run("import_catalog", str(bad))

    message = str(caught.value)
    assert message.startswith("The file was not imported (2 errors); nothing was changed:")
    assert "line 1: Group (no name): metadata.name is missing" in message
    assert "line 15: Component invoices: owner 'ghosts' is not a Group" in message
    assert not Team.objects.exists() and not Component.objects.exists()


@pytest.mark.django_db
def test_import_catalog_exits_non_zero_on_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Component\nmetadata: {name: [unclosed\n")

    with pytest.raises(SystemExit) as caught:
        ManagementUtility(["manage.py", "import_catalog", str(bad)]).execute()

    assert caught.value.code == 1
    assert "YAML syntax error" in capsys.readouterr().err


@pytest.mark.django_db
def test_import_catalog_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.yaml"):
        run("import_catalog", str(tmp_path / "missing.yaml"))


@pytest.mark.django_db
def test_export_catalog_to_stdout_and_to_a_file(catalog_file, tmp_path):
    run("import_catalog", str(catalog_file))

    out = run("export_catalog")
    target = tmp_path / "exported.yaml"
    run("export_catalog", "--output", str(target))

    assert "kind: Group" in out
    assert "  owner: group:default/payments" in out
    assert target.read_text() == out
    assert run("import_catalog", str(target)).splitlines()[-1] == (
        "created 0, changed 0, skipped 0 (2 unchanged)"
    )


@pytest.mark.django_db
def test_export_and_import_codeowners(tmp_path):
    team = TeamFactory(slug="payments")
    ComponentFactory(slug="invoices", owner_team=team, paths=["/billing/invoices/"])
    target = tmp_path / "CODEOWNERS"

    run("export_codeowners", "--output", str(target), "--org", "acme")

    assert "# component: invoices\n/billing/invoices/ @acme/payments\n" in target.read_text()
    out = run("import_codeowners", str(target), "--org", "acme")
    assert out.splitlines()[-1] == "created 0, changed 0, skipped 0 (1 unchanged)"

    target.write_text("/billing/refunds/ @acme/payments\n")
    out = run("import_codeowners", str(target), "--dry-run")
    assert "created Component billing-refunds: owner payments; paths /billing/refunds/" in out
    assert not ComponentPath.objects.filter(pattern="/billing/refunds/").exists()

    target.write_text("/billing/refunds/ @other/payments\n")
    with pytest.raises(CommandError, match="line 1: @other/payments is not a team of"):
        run("import_codeowners", str(target), "--org", "acme")


@pytest.mark.django_db
def test_import_codeowners_reads_escaped_spaces_and_comments(tmp_path):
    # The reported line: before, "Started.md" was read as an owner and the import aborted.
    TeamFactory(slug="docs")
    target = tmp_path / "CODEOWNERS"
    target.write_text("/guides/Getting\\ Started.md @acme/docs  # the guides\n")

    out = run("import_codeowners", str(target), "--org", "acme")

    assert "created Component guides-getting-started-md: owner docs; " in out
    assert ComponentPath.objects.get().pattern == "/guides/Getting Started.md"
    run("export_codeowners", "--output", str(target), "--org", "acme")
    assert "\n/guides/Getting\\ Started.md @acme/docs\n" in target.read_text()
