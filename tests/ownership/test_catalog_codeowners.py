import pytest

from ownership.catalog import (
    CatalogImportError,
    codeowners_export,
    codeowners_import,
    parse_codeowners,
    slug_from_pattern,
)
from ownership.models import Component, ComponentPath, OwnershipPeriod
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory


def rows():
    return (
        Component.objects.count(),
        ComponentPath.objects.count(),
        OwnershipPeriod.objects.count(),
    )


def paths_of(slug):
    return set(Component.objects.get(slug=slug).paths.values_list("pattern", flat=True))


@pytest.fixture
def teams(db):
    return {
        "payments": TeamFactory(slug="payments", name="Payments"),
        "platform": TeamFactory(slug="platform", name="Platform"),
    }


def test_export_writes_one_section_per_component_ordered_by_slug(teams):
    area = ComponentFactory(slug="zeta", kind="area", owner_team=teams["payments"])
    ComponentFactory(slug="alpha", owner_team=teams["platform"], paths=["/alpha/", "*.alpha"])
    ComponentFactory(slug="inherits", parent=area, owner_team=None, paths=["/zeta/inner/"])
    ComponentFactory(slug="nobody", owner_team=None, paths=["/orphan/"])
    ComponentFactory(slug="nopaths", owner_team=teams["platform"])

    text = codeowners_export(org="acme")

    sections = text.split("\n\n")[1:]
    assert sections == [
        "# component: alpha\n*.alpha @acme/platform\n/alpha/ @acme/platform",
        "# component: inherits\n/zeta/inner/ @acme/payments",
        "# component: nobody\n/orphan/\n",
    ]


def test_export_then_import_on_the_same_database_changes_nothing(teams):
    area = ComponentFactory(slug="zeta", kind="area", owner_team=teams["payments"])
    ComponentFactory(slug="alpha", owner_team=teams["platform"], paths=["/alpha/", "*.alpha"])
    ComponentFactory(slug="inherits", parent=area, owner_team=None, paths=["/zeta/inner/"])
    before = rows()

    report = codeowners_import(text=codeowners_export())

    assert rows() == before
    # An inherited owner stays inherited rather than becoming direct.
    assert Component.objects.get(slug="inherits").owner_team is None
    assert report.count("created") == report.count("changed") == 0
    assert report.count("unchanged") == 2
    assert report.summary == "created 0, changed 0, skipped 0 (2 unchanged)"


def test_an_unowned_component_round_trips_unchanged(teams):
    # "nobody" has no owner: the export writes its pattern alone, which CODEOWNERS reads as
    # nobody owning /orphan/. Imported back on the same database nothing changes or is
    # skipped; imported into an empty catalog it comes back unowned, and exports the same.
    ComponentFactory(slug="alpha", owner_team=teams["platform"], paths=["/alpha/"])
    ComponentFactory(slug="nobody", owner_team=None, paths=["/orphan/", "/orphan.md"])
    text = codeowners_export(org="acme")
    assert "# component: nobody\n/orphan.md\n/orphan/\n" in text

    same = codeowners_import(text=text, org="acme")
    assert same.summary == "created 0, changed 0, skipped 0 (2 unchanged)"
    assert same.warnings == []

    Component.objects.all().delete()
    report = codeowners_import(text=text, org="acme")
    assert report.summary == "created 2, changed 0, skipped 0 (0 unchanged)"
    nobody = Component.objects.get(slug="nobody")
    assert (nobody.owner_team, nobody.effective_owner_team) == (None, None)
    assert paths_of("nobody") == {"/orphan/", "/orphan.md"}
    assert codeowners_export(org="acme") == text


def test_a_line_without_owners_never_takes_an_owner_away(teams):
    ComponentFactory(slug="docs", owner_team=teams["payments"], paths=["/docs/"])

    report = codeowners_import(text="/docs/\n/docs/api/\n")

    docs = Component.objects.get(slug="docs")
    assert docs.owner_team == teams["payments"]
    assert paths_of("docs") == {"/docs/"}
    # /docs/api/ is new: an unowned component named after it.
    assert Component.objects.get(slug="docs-api").owner_team is None
    assert report.warnings == [
        "line 1: component docs has no owners in CODEOWNERS; it keeps its owner team payments"
    ]


def test_export_then_import_without_the_components_recreates_them(teams):
    ComponentFactory(slug="alpha", owner_team=teams["platform"], paths=["/alpha/", "*.alpha"])
    ComponentFactory(slug="beta", owner_team=teams["payments"], paths=["/beta/"])
    text = codeowners_export()
    Component.objects.all().delete()

    report = codeowners_import(text=text)

    owners = dict(Component.objects.values_list("slug", "owner_team__slug"))
    assert owners == {"alpha": "platform", "beta": "payments"}
    assert paths_of("alpha") == {"/alpha/", "*.alpha"}
    assert paths_of("beta") == {"/beta/"}
    assert codeowners_export() == text
    assert [str(e) for e in report.entries] == [
        "created Component alpha: owner platform; paths *.alpha, /alpha/",
        "created Component beta: owner payments; paths /beta/",
    ]


def test_import_attaches_patterns_changes_owners_and_creates_components(teams):
    ComponentFactory(slug="invoices", owner_team=teams["payments"], paths=["/billing/invoices/"])
    ComponentFactory(slug="ledger", owner_team=teams["payments"])
    text = """\
# Generic comments are ignored.
/billing/invoices/ @acme/platform

# component: ledger
/billing/ledger/ @payments
/billing/ledger.md @acme/payments   # trailing comment

/billing/api/ @acme/platform
/docs/
"""
    editor = UserFactory(username="editor")
    report = codeowners_import(text=text, by=editor, org="acme")

    invoices = Component.objects.get(slug="invoices")
    assert invoices.owner_team == teams["platform"]
    period = invoices.ownership_periods.get(valid_to__isnull=True)
    assert (period.team, period.note, period.changed_by) == (
        teams["platform"],
        "catalog import",
        editor,
    )
    assert paths_of("ledger") == {"/billing/ledger/", "/billing/ledger.md"}
    created = Component.objects.get(slug="billing-api")
    assert (created.owner_team, created.kind, created.name) == (
        teams["platform"],
        "service",
        "billing-api",
    )
    assert paths_of("billing-api") == {"/billing/api/"}
    # /docs/ has no owners: GitHub's "nobody owns matching files", an unowned component.
    assert Component.objects.get(slug="docs").owner_team is None
    assert paths_of("docs") == {"/docs/"}
    assert [str(e) for e in report.entries] == [
        "changed Component invoices: owner_team: payments -> platform",
        "changed Component ledger: paths: +/billing/ledger/, +/billing/ledger.md",
        "created Component billing-api: owner platform; paths /billing/api/",
        "created Component docs: no owner; paths /docs/",
    ]
    assert report.summary == "created 2, changed 2, skipped 0 (0 unchanged)"

    again = codeowners_import(text=text, org="acme")
    assert again.summary == "created 0, changed 0, skipped 0 (4 unchanged)"


def test_user_and_email_owners_resolve_to_their_only_team(teams):
    MembershipFactory(team=teams["payments"], user=UserFactory(username="alice"))
    MembershipFactory(
        team=teams["platform"], user=UserFactory(username="bob", email="Bob@Example.com")
    )
    text = "/a/ @alice\n/b/ bob@example.com\n"

    codeowners_import(text=text)

    owners = dict(ComponentPath.objects.values_list("pattern", "component__owner_team__slug"))
    assert owners == {"/a/": "payments", "/b/": "platform"}


def test_several_teams_on_a_line_use_the_first_and_warn(teams):
    report = codeowners_import(text="/a/ @org/payments @org/platform\n")

    assert Component.objects.get(slug="a").owner_team == teams["payments"]
    assert report.warnings == [
        "line 1: /a/ names several teams; a component has one owner team, "
        "so payments is used and platform ignored"
    ]


def test_bad_codeowners_changes_nothing_and_reports_every_error(teams):
    ComponentFactory(slug="kept", owner_team=teams["payments"], paths=["/kept/"])
    MembershipFactory(team=teams["payments"], user=UserFactory(username="both"))
    MembershipFactory(team=teams["platform"], user=UserFactory(username="both"))
    UserFactory(username="loner")
    before = rows()
    text = """\
/kept/ @org/platform
/new/ @org/ghosts
/x/[z @org/payments
/y/ @both
/z/ @loner
/w/ nobody@example.com
!/v/ @org/payments
/u/ @other-org/payments
/t/ just-a-word
/kept/ @org/payments
"""
    with pytest.raises(CatalogImportError) as caught:
        codeowners_import(text=text, org="org")

    assert rows() == before
    assert Component.objects.get(slug="kept").owner_team == teams["payments"]
    errors = caught.value.errors
    assert errors[0] == "line 2: unknown team @org/ghosts"
    assert errors[1].startswith("line 3: pattern '/x/[z'")
    assert errors[2] == (
        "line 4: @both belongs to 2 teams (payments, platform); "
        "name the owning team (@org/team) instead"
    )
    assert errors[3] == (
        "line 5: @loner belongs to no team; name the owning team (@org/team) instead"
    )
    assert errors[4] == "line 6: no user has the e-mail address nobody@example.com"
    assert errors[5].startswith("line 7: pattern '!/v/': Negated patterns")
    assert errors[6] == "line 8: @other-org/payments is not a team of the organisation org"
    assert errors[7] == ("line 9: owner 'just-a-word' is not @org/team, @name or an e-mail address")
    assert errors[8] == "line 10: pattern /kept/ is repeated (first on line 1)"
    assert len(errors) == 9


def test_one_component_cannot_get_two_teams(teams):
    ComponentFactory(slug="svc", owner_team=teams["payments"], paths=["/a/", "/b/"])

    with pytest.raises(CatalogImportError) as caught:
        codeowners_import(text="/a/ @org/payments\n/b/ @org/platform\n")

    assert caught.value.errors == [
        "line 2: component svc is given to team payments on line 1 and to platform here; "
        "a component has one owner team"
    ]


def test_dry_run_reports_without_saving(teams):
    before = rows()

    report = codeowners_import(text="/new/ @org/payments\n", dry_run=True)

    assert rows() == before
    assert report.lines()[-2:] == [
        "Dry run: nothing was saved.",
        "created 1, changed 0, skipped 0 (0 unchanged)",
    ]


def test_parse_keeps_component_comments_until_a_blank_line():
    rules, errors = parse_codeowners(
        "# component: one\n/a/ @t\n# another comment\n/b/ @t\n\n/c/ @t\n# component:\n/d/ @t\n"
    )

    assert errors == []
    assert [(r.line, r.pattern, r.component) for r in rules] == [
        (2, "/a/", "one"),
        (4, "/b/", "one"),
        (6, "/c/", None),
        (8, "/d/", None),
    ]


@pytest.mark.parametrize(
    ("pattern", "slug"),
    [("/billing/api/", "billing-api"), ("*.proto", "proto"), ("docs/*", "docs"), ("*", "root")],
)
def test_slug_from_pattern(pattern, slug):
    assert slug_from_pattern(pattern) == slug
