import pytest
from django.contrib.auth import get_user_model

from ownership.catalog import CatalogImportError, catalog_import
from ownership.models import Component, ComponentPath, Membership, OwnershipPeriod, Team
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

User = get_user_model()

# pdf-renderer comes before its parent invoices-api: the import must create the parent first.
CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  description: Money in, money out.
  annotations:
    rota.dev/timezone: Europe/London
    rota.dev/chat-webhook: https://hooks.example.com/services/T1/B1
    rota.dev/chat-channel: "#team-payments"
    rota.dev/managers: alice
    rota.dev/leads: bob
spec:
  type: team
  profile:
    displayName: Payments Team
    email: payments@example.com
  children: []
  members: [user:default/alice, user:bob, carol]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: platform
  title: Platform
spec:
  type: team
  children: []
  members: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pdf-renderer
spec:
  type: library
  lifecycle: experimental
  subcomponentOf: component:default/invoices-api
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: billing
  title: Billing
  description: Everything that charges customers.
spec:
  owner: group:default/payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: invoices-api
  title: Invoices API
  description: Creates and sends invoices.
  annotations:
    backstage.io/source-location: url:https://github.example.com/acme/invoices/tree/main/
    rota.dev/tier: "1"
    rota.dev/paths: /billing/invoices/, *.invoice.proto
  links:
    - url: https://wiki.example.com/runbooks/invoices
      title: Invoices runbook
    - url: https://grafana.example.com/d/invoices
      title: Grafana
      type: dashboard
    - url: https://example.com/elsewhere
      title: Something else
spec:
  type: service
  lifecycle: production
  owner: payments
  system: billing
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ci-scripts
spec:
  type: tooling
  owner: group:platform
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: invoices-openapi
spec:
  type: openapi
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: alice
"""


def counts():
    """Rows of every table an import may touch."""
    return {
        model.__name__: model.objects.count()
        for model in (User, Team, Membership, Component, ComponentPath, OwnershipPeriod)
    }


@pytest.mark.django_db
def test_import_creates_teams_components_paths_and_members():
    UserFactory(username="alice")

    report = catalog_import(text=CATALOG)

    payments = Team.objects.get(slug="payments")
    assert payments.name == "Payments Team"
    assert payments.description == "Money in, money out."
    assert payments.email == "payments@example.com"
    assert payments.timezone == "Europe/London"
    assert payments.chat_webhook_url == "https://hooks.example.com/services/T1/B1"
    assert payments.chat_channel == "#team-payments"
    roles = dict(payments.memberships.values_list("user__username", "role"))
    assert roles == {"alice": "manager", "bob": "lead", "carol": "engineer"}
    assert Team.objects.get(slug="platform").name == "Platform"
    assert Team.objects.get(slug="platform").timezone == "UTC"

    bob = User.objects.get(username="bob")
    assert not bob.has_usable_password()
    assert User.objects.get(username="alice").has_usable_password()

    billing = Component.objects.get(slug="billing")
    assert (billing.kind, billing.name, billing.owner_team) == ("area", "Billing", payments)
    assert billing.description == "Everything that charges customers."

    invoices = Component.objects.get(slug="invoices-api")
    assert invoices.name == "Invoices API"
    assert invoices.kind == "service"
    assert invoices.parent == billing
    assert invoices.owner_team == payments
    assert invoices.tier == 1
    assert invoices.repository_url == "https://github.example.com/acme/invoices/tree/main/"
    assert invoices.runbook_url == "https://wiki.example.com/runbooks/invoices"
    assert invoices.dashboard_url == "https://grafana.example.com/d/invoices"
    assert set(invoices.paths.values_list("pattern", flat=True)) == {
        "/billing/invoices/",
        "*.invoice.proto",
    }

    renderer = Component.objects.get(slug="pdf-renderer")
    assert (renderer.name, renderer.kind, renderer.parent) == ("pdf-renderer", "library", invoices)
    assert renderer.owner_team is None
    assert renderer.effective_owner_team == payments
    assert renderer.tier == Component.Tier.STANDARD
    assert Component.objects.get(slug="ci-scripts").kind == "other"

    period = OwnershipPeriod.objects.get(component=invoices)
    assert (period.team, period.note, period.valid_to) == (payments, "catalog import", None)

    created = {(e.kind, e.name) for e in report.entries if e.action == "created"}
    assert created == {
        ("User", "bob"),
        ("User", "carol"),
        ("Group", "payments"),
        ("Group", "platform"),
        ("System", "billing"),
        ("Component", "invoices-api"),
        ("Component", "pdf-renderer"),
        ("Component", "ci-scripts"),
    }
    order = [e.name for e in report.entries if e.kind in ("System", "Component")]
    assert order.index("billing") < order.index("invoices-api") < order.index("pdf-renderer")
    skipped = {(e.kind, e.name) for e in report.entries if e.action == "skipped"}
    assert skipped == {("API", "invoices-openapi"), ("User", "alice")}
    assert report.summary == "created 8, changed 0, skipped 2 (0 unchanged)"


@pytest.mark.django_db
def test_second_import_of_the_same_file_changes_nothing_and_says_so():
    catalog_import(text=CATALOG)
    before = counts()
    updated = dict(Component.objects.values_list("slug", "updated_at"))

    report = catalog_import(text=CATALOG)

    assert counts() == before
    assert dict(Component.objects.values_list("slug", "updated_at")) == updated
    assert report.count("created") == report.count("changed") == 0
    assert report.count("unchanged") == 6
    assert "Nothing to change: the catalog already matches the file." in report.lines()
    assert report.lines()[-1] == "created 0, changed 0, skipped 2 (6 unchanged)"


@pytest.mark.django_db
def test_changed_file_reports_changes_and_records_ownership_history():
    catalog_import(text=CATALOG)
    editor = UserFactory(username="editor")
    changed = (
        CATALOG.replace("  owner: payments\n", "  owner: group:default/platform\n")
        .replace('rota.dev/tier: "1"', 'rota.dev/tier: "2"')
        .replace("*.invoice.proto", "/billing/pdf/")
        .replace("members: [user:default/alice, user:bob, carol]", "members: [alice, bob]")
    )

    report = catalog_import(text=changed, by=editor)

    invoices = Component.objects.get(slug="invoices-api")
    platform = Team.objects.get(slug="platform")
    assert invoices.owner_team == platform
    assert invoices.effective_owner_team == platform
    assert invoices.tier == 2
    assert set(invoices.paths.values_list("pattern", flat=True)) == {
        "/billing/invoices/",
        "/billing/pdf/",
    }
    # The library inherits from invoices-api, so it changed hands too.
    assert Component.objects.get(slug="pdf-renderer").effective_owner_team == platform
    history = list(OwnershipPeriod.objects.filter(component=invoices).order_by("valid_from"))
    assert [p.team.slug for p in history] == ["payments", "platform"]
    assert history[0].valid_to == history[1].valid_from
    assert (history[1].note, history[1].changed_by) == ("catalog import", editor)
    assert set(Team.objects.get(slug="payments").members.values_list("username", flat=True)) == {
        "alice",
        "bob",
    }

    changes = {e.name: e.details for e in report.entries if e.action == "changed"}
    assert set(changes) == {"invoices-api", "payments"}
    assert "owner_team: payments -> platform" in changes["invoices-api"]
    assert "tier: 1 -> 2" in changes["invoices-api"]
    assert "paths: +/billing/pdf/, -*.invoice.proto" in changes["invoices-api"]
    assert changes["payments"] == ["members: -carol"]
    assert report.summary.startswith("created 0, changed 2, skipped 2")


@pytest.mark.django_db
def test_roles_are_kept_when_the_file_has_no_role_annotations():
    team = TeamFactory(slug="search", name="Search")
    manager = UserFactory(username="maria")
    Membership.objects.create(team=team, user=manager, role="manager")
    text = (
        "kind: Group\nmetadata:\n  name: search\n  title: Search\nspec:\n  members: [maria, new]\n"
    )

    report = catalog_import(text=text)

    roles = dict(team.memberships.values_list("user__username", "role"))
    assert roles == {"maria": "manager", "new": "engineer"}
    assert [str(e) for e in report.entries if e.action == "changed"] == [
        "changed Group search: members: +new (engineer)"
    ]


@pytest.mark.django_db
def test_fields_missing_from_the_file_are_left_alone():
    team = TeamFactory(slug="search", name="Search", chat_channel="#search", timezone="Asia/Tokyo")
    ComponentFactory(slug="indexer", name="indexer", owner_team=team, tier=1, paths=["/search/"])
    text = "kind: Component\nmetadata:\n  name: indexer\nspec:\n  type: service\n"

    report = catalog_import(text=text)

    indexer = Component.objects.get(slug="indexer")
    assert (indexer.owner_team, indexer.tier) == (team, 1)
    assert list(indexer.paths.values_list("pattern", flat=True)) == ["/search/"]
    assert report.count("unchanged") == 1


@pytest.mark.django_db
def test_a_path_can_move_between_components_in_one_import():
    team = TeamFactory(slug="core")
    ComponentFactory(slug="old", name="old", owner_team=team, paths=["/shared/", "/old/"])
    text = """\
kind: Component
metadata:
  name: old
  annotations:
    rota.dev/paths: /old/
---
kind: Component
metadata:
  name: new
  annotations:
    rota.dev/paths: /shared/
spec:
  owner: core
"""
    catalog_import(text=text)

    owners = dict(ComponentPath.objects.values_list("pattern", "component__slug"))
    assert owners == {"/old/": "old", "/shared/": "new"}


@pytest.mark.django_db
def test_dry_run_reports_but_saves_nothing():
    before = counts()

    report = catalog_import(text=CATALOG, dry_run=True)

    assert counts() == before
    assert report.count("created") == 9  # alice too: nobody has an account yet
    assert report.lines()[-2:] == [
        "Dry run: nothing was saved.",
        "created 9, changed 0, skipped 2 (0 unchanged)",
    ]


BAD_CATALOG = """\
kind: Group
metadata:
  name: payments
  annotations:
    rota.dev/timezone: Mars/Olympus_Mons
spec:
  profile:
    email: not-an-address
---
kind: Component
metadata:
  title: Nameless
spec:
  type: service
---
kind: Component
metadata:
  name: checkout
  annotations:
    rota.dev/tier: "5"
    rota.dev/paths: /checkout/, !/checkout/tests/
    backstage.io/source-location: url:not a url
spec:
  owner: group:default/ghosts
  subcomponentOf: cart
---
kind: Component
metadata:
  name: cart
spec:
  subcomponentOf: checkout
---
kind: Component
metadata:
  name: bad: yaml: here
"""


@pytest.mark.django_db
def test_bad_file_changes_nothing_and_reports_every_error():
    team = TeamFactory(slug="payments", name="Payments")
    ComponentFactory(slug="checkout", name="Checkout", owner_team=team)
    before = counts()

    with pytest.raises(CatalogImportError) as caught:
        catalog_import(text=BAD_CATALOG)

    assert counts() == before
    errors = caught.value.errors
    expected = [
        "line 5: Group payments: rota.dev/timezone 'Mars/Olympus_Mons'",
        "line 8: Group payments: spec.profile.email 'not-an-address'",
        "line 10: Component (no name): metadata.name is missing",
        "line 20: Component checkout: rota.dev/tier must be 1, 2, 3 or 4, not '5'",
        "line 21: Component checkout: path '!/checkout/tests/': Negated patterns",
        "line 22: Component checkout: backstage.io/source-location 'url:not a url'",
        "line 24: Component checkout: owner 'ghosts' is not a Group in this file",
        "line 25: parents form a cycle: checkout -> cart -> checkout",
        "line 35, column 12: YAML syntax error: mapping values are not allowed here",
    ]
    for start in expected:
        assert any(error.startswith(start) for error in errors), (start, errors)
    assert len(errors) == len(expected)
    assert errors == sorted(errors, key=lambda e: int(e.split()[1].rstrip(":,")))


@pytest.mark.django_db
def test_each_kind_of_bad_file_is_refused_without_changes():
    team = TeamFactory(slug="payments")
    ComponentFactory(slug="taken", owner_team=team, paths=["/taken/"])
    cases = {
        "kind: Component\nmetadata:\n  name: x\n  annotations:\n    rota.dev/paths: /taken/\n": (
            "line 5: Component x: path '/taken/' belongs to component taken"
        ),
        "kind: Component\nmetadata:\n  name: x\nspec:\n  owner: user:alice\n": (
            "line 5: Component x: spec.owner 'user:alice' must refer to a group"
        ),
        "kind: Component\nmetadata:\n  name: a.b\n": "line 3: Component a.b: metadata.name",
        "kind: Component\nmetadata:\n  name: x\nspec:\n  system: nowhere\n": (
            "line 5: Component x: parent 'nowhere' is not a Component or System"
        ),
        "kind: Group\nmetadata:\n  name: other\n  title: Team 0\n": (
            "line 1: Group other: the team name 'Team 0' is also the name of team"
        ),
        "kind: Component\nmetadata:\n  name: x\n---\nkind: System\nmetadata:\n  name: x\n": (
            "line 5: System x: x is defined twice (first on line 1)"
        ),
        "- just\n- a list\n": "line 1: not a catalog entity",
        "kind: Component\nmetadata: just text\n": (
            "line 2: Component (no name): metadata must be a mapping"
        ),
        "kind: Component\nmetadata:\n  name: x\n  name: y\n": (
            "line 4, column 3: YAML syntax error: duplicate key 'name'"
        ),
        "metadata:\n  name: x\n": "line 1: the entity has no kind",
        "# nothing here\n": "The file holds no catalog entities.",
        "kind: Component\nmetadata:\n  name: x\n  annotations:\n    rota.dev/tier: high\n": (
            "line 5: Component x: rota.dev/tier must be 1, 2, 3 or 4, not 'high'"
        ),
    }
    Team.objects.filter(slug="payments").update(name="Team 0")
    before = counts()
    for text, message in cases.items():
        with pytest.raises(CatalogImportError) as caught:
            catalog_import(text=text)
        assert any(e.startswith(message) for e in caught.value.errors), (message, caught.value)
        assert counts() == before


@pytest.mark.django_db
def test_an_error_while_applying_rolls_back_everything():
    # Swapping two team names passes the checks but the first rename collides on save.
    TeamFactory(slug="a", name="Alpha")
    TeamFactory(slug="b", name="Beta")
    text = """\
kind: Component
metadata:
  name: fresh
---
kind: Group
metadata:
  name: a
  title: Beta
---
kind: Group
metadata:
  name: b
  title: Alpha
"""
    before = counts()

    with pytest.raises(CatalogImportError) as caught:
        catalog_import(text=text)

    assert counts() == before
    assert dict(Team.objects.values_list("slug", "name")) == {"a": "Alpha", "b": "Beta"}
    assert [e.split(":")[0] for e in caught.value.errors] == ["line 5", "line 10"]
    assert "Team with this Name already exists." in caught.value.errors[0]
