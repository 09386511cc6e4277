import pytest
import yaml
from django.contrib.auth import get_user_model

from ownership.catalog import catalog_export, catalog_import
from ownership.models import Component, ComponentPath, Membership, OwnershipPeriod, Team
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory

User = get_user_model()


@pytest.fixture
def catalog_rows(db):
    """A catalog using every field the export writes, with areas, nesting and inheritance."""
    payments = TeamFactory(
        slug="payments",
        name="Payments",
        description="Money in, money out.",
        email="payments@example.com",
        chat_webhook_url="https://hooks.example.com/services/T1/B1",
        chat_channel="#payments",
        timezone="Europe/London",
    )
    MembershipFactory(team=payments, user=UserFactory(username="alice"), role="manager")
    MembershipFactory(team=payments, user=UserFactory(username="bob"), role="lead")
    MembershipFactory(team=payments, user=UserFactory(username="carol"), role="engineer")
    platform = TeamFactory(slug="platform", name="Platform", email="", timezone="UTC")
    TeamFactory(slug="idle", name="Idle team", email="", timezone="Asia/Tokyo")

    money = ComponentFactory(slug="money", name="Money", kind="area", owner_team=payments)
    billing = ComponentFactory(
        slug="billing",
        name="Billing",
        kind="area",
        parent=money,
        owner_team=None,
        description="Charging customers.",
    )
    invoices = ComponentFactory(
        slug="invoices",
        name="Invoices API",
        kind="service",
        parent=billing,
        owner_team=platform,
        tier=1,
        repository_url="https://github.example.com/acme/invoices",
        runbook_url="https://wiki.example.com/runbooks/invoices",
        dashboard_url="https://grafana.example.com/d/invoices",
        paths=["/billing/invoices/", "*.invoice.proto"],
    )
    ComponentFactory(
        slug="pdf", name="pdf", kind="library", parent=invoices, owner_team=None, tier=4
    )
    ComponentFactory(slug="site", name="Web site", kind="website", owner_team=platform)
    ComponentFactory(slug="misc", name="Misc", kind="other", owner_team=None, paths=["/misc/"])


def snapshot():
    """Everything the catalog file carries, keyed by slugs and usernames."""
    teams = {
        t.slug: (
            t.name,
            t.description,
            t.email,
            t.chat_webhook_url,
            t.chat_channel,
            t.timezone,
            dict(t.memberships.values_list("user__username", "role")),
        )
        for t in Team.objects.all()
    }
    components = {
        c.slug: (
            c.name,
            c.kind,
            c.description,
            c.parent.slug if c.parent else None,
            c.owner_team.slug if c.owner_team else None,
            c.effective_owner_team.slug if c.effective_owner_team else None,
            c.tier,
            c.repository_url,
            c.runbook_url,
            c.dashboard_url,
            sorted(c.paths.values_list("pattern", flat=True)),
        )
        for c in Component.objects.select_related("parent", "owner_team", "effective_owner_team")
    }
    return teams, components


def empty_database():
    OwnershipPeriod.objects.all().delete()
    ComponentPath.objects.all().delete()
    while Component.objects.exists():  # parents are protected: remove the leaves first
        Component.objects.filter(children__isnull=True).delete()
    Membership.objects.all().delete()
    Team.objects.all().delete()
    User.objects.all().delete()


def test_export_writes_backstage_entities(catalog_rows):
    documents = list(yaml.safe_load_all(catalog_export()))

    kinds = [(d["kind"], d["metadata"]["name"]) for d in documents]
    assert kinds[:3] == [("Group", "idle"), ("Group", "payments"), ("Group", "platform")]
    # Parents come before their children.
    names = [name for _, name in kinds]
    assert names.index("money") < names.index("billing") < names.index("invoices")
    assert names.index("invoices") < names.index("pdf")

    by_name = {d["metadata"]["name"]: d for d in documents}
    payments = by_name["payments"]
    assert payments["spec"]["profile"] == {
        "displayName": "Payments",
        "email": "payments@example.com",
    }
    assert payments["spec"]["members"] == ["alice", "bob", "carol"]
    assert payments["metadata"]["annotations"] == {
        "rota.dev/timezone": "Europe/London",
        "rota.dev/chat-webhook": "https://hooks.example.com/services/T1/B1",
        "rota.dev/chat-channel": "#payments",
        "rota.dev/managers": "alice",
        "rota.dev/leads": "bob",
    }
    billing = by_name["billing"]
    assert billing["kind"] == "System"
    assert billing["metadata"]["annotations"]["rota.dev/parent"] == "money"
    assert "owner" not in billing["spec"]
    invoices = by_name["invoices"]
    assert invoices["spec"]["owner"] == "group:default/platform"
    assert invoices["spec"]["system"] == "system:default/billing"
    assert invoices["metadata"]["annotations"] == {
        "backstage.io/source-location": "url:https://github.example.com/acme/invoices",
        "rota.dev/tier": "1",
        "rota.dev/paths": "*.invoice.proto,/billing/invoices/",
    }
    assert {link["type"]: link["url"] for link in invoices["metadata"]["links"]} == {
        "runbook": "https://wiki.example.com/runbooks/invoices",
        "dashboard": "https://grafana.example.com/d/invoices",
    }
    assert by_name["pdf"]["spec"]["subcomponentOf"] == "component:default/invoices"
    assert by_name["pdf"]["spec"]["type"] == "library"


def test_export_then_import_on_the_same_database_changes_nothing(catalog_rows):
    before = snapshot()
    periods = OwnershipPeriod.objects.count()

    report = catalog_import(text=catalog_export())

    assert snapshot() == before
    assert OwnershipPeriod.objects.count() == periods
    assert report.count("created") == report.count("changed") == 0
    assert report.count("unchanged") == 3 + 6


def test_export_then_import_on_an_empty_database_reproduces_the_catalog(catalog_rows):
    before = snapshot()
    text = catalog_export()
    empty_database()

    report = catalog_import(text=text)

    assert snapshot() == before
    assert report.count("created") == 3 + 3 + 6  # users, teams, components
    assert report.count("changed") == 0
    # And the reproduced catalog exports to the same file.
    assert catalog_export() == text


def test_export_of_selected_components_brings_their_ancestors_and_owners(catalog_rows):
    text = catalog_export(components=Component.objects.filter(slug="pdf"))

    names = [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(text)]
    assert names == [
        ("Group", "payments"),
        ("Group", "platform"),
        ("System", "money"),
        ("System", "billing"),
        ("Component", "invoices"),
        ("Component", "pdf"),
    ]
    empty_database()
    catalog_import(text=text)
    assert Component.objects.get(slug="pdf").effective_owner_team.slug == "platform"
