"""The portal search finds components by a word or fragment of a path their globs cover."""

import pytest

from ownership.selectors import components_for_path_fragment
from tests.ownership.factories import ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    """A monorepo like the demo's: services under services/, a floating *.proto glob."""
    payments = TeamFactory(slug="payments", name="Payments")
    platform = TeamFactory(slug="platform", name="Platform")
    billing = ComponentFactory(
        slug="billing", name="Billing", owner_team=payments, paths=["/services/billing/"]
    )
    ComponentFactory(
        slug="invoicing",
        name="Invoicing",
        parent=billing,
        owner_team=None,
        paths=["/services/billing/invoices/", "/templates/invoices/"],
    )
    ComponentFactory(
        slug="api-schemas",
        name="API schemas",
        owner_team=platform,
        paths=["/schemas/api/", "*.proto"],
    )
    ComponentFactory(slug="ci", name="CI", owner_team=platform, paths=["/ci/", "/Tools/Build/"])
    return billing


def _slugs(fragment):
    return [c.slug for c in components_for_path_fragment(fragment=fragment)]


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        # A word in a glob: both of Invoicing's globs name invoices/.
        ("invoices", ["invoicing"]),
        ("INVOICES", ["invoicing"]),
        # A fragment continuing a glob's directory: services/billing/api is Billing's.
        ("billing/api", ["billing"]),
        ("/billing/api/v1/", ["billing"]),
        # ... and going on into a more specific glob's directory: Invoicing wins there.
        ("billing/invoices/pdf.py", ["invoicing"]),
        # A file name a floating glob covers (the whole fragment is a path too).
        ("schemas/api/orders.proto", ["api-schemas"]),
        # Case as typed is kept for the path: Tools/Build/x is CI's.
        ("build/release.sh", ["ci"]),
        # A fragment continuing a directory inside a glob: schemas/api/v2 is API schemas'.
        ("api/v2", ["api-schemas"]),
        # One that could only lie below some directory of its own names nothing: orders/v2
        # could be anywhere, and no glob's directory ends in orders/.
        ("orders/v2", []),
        ("nothing-here", []),
        ("", []),
    ],
)
def test_path_fragments_find_the_components_whose_globs_cover_them(catalog, fragment, expected):
    assert _slugs(fragment) == expected


def test_a_word_in_several_globs_finds_each_component_once(catalog):
    # "billing" is in /services/billing/ (Billing) and /services/billing/invoices/ (Invoicing).
    assert sorted(_slugs("billing")) == ["billing", "invoicing"]


@pytest.mark.parametrize(
    ("query", "component"),
    [("invoices", "Invoicing"), ("billing/api", "Billing"), ("billing/invoices", "Invoicing")],
)
def test_the_portal_search_finds_a_component_by_a_path_fragment(
    client, user, catalog, query, component
):
    client.force_login(user)
    html = client.get("/", {"q": query}).content.decode()
    assert "No component matches" not in html
    # The first card is the component found, with its owner.
    card = html.split('<li class="card lookup">', 1)[1].split("</li>", 1)[0]
    assert f">{component}</a>" in card
    assert "Payments" in card


def test_the_search_still_says_so_when_no_glob_covers_the_fragment(client, user, catalog):
    client.force_login(user)
    html = client.get("/", {"q": "orders/v2"}).content.decode()
    assert "No component matches" in html
