import pytest

from ownership import selectors, services
from ownership.paths import GlobError, PathIndex, compile_glob

from .factories import ComponentFactory

INDEX = PathIndex.build(
    [
        ("/billing/", "billing"),
        ("/billing/api/", "billing-api"),
        ("billing/api/*.py", "billing-api-code"),
        ("*.proto", "schemas"),
        ("/docs/*", "docs"),
        ("**/migrations/", "db"),
        ("/billing/api/v?/", "versioned"),
        ("/billing/api/v1/", "v1"),
    ]
)


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("billing/readme.md", "billing"),  # directory pattern owns what is below it
        ("billing/api/handlers/x.go", "billing-api"),  # longer literal wins over /billing/
        ("billing/api/invoices.py", "billing-api-code"),  # file glob more specific than dir
        ("billing/api/v1/x.go", "v1"),  # literal beats a wildcard of equal length
        ("billing/api/v2/x.go", "versioned"),
        ("schemas/billing/invoice.proto", "schemas"),  # no slash: matches at any depth
        ("billing/invoice.proto", "billing"),  # /billing/ has more literal characters
        ("docs/intro.md", "docs"),
        ("/billing/readme.md", "billing"),  # leading slash from the caller is ignored
        ("./billing/readme.md", "billing"),
        ("catalog/db/migrations/0001.sql", "db"),
    ],
)
def test_most_specific_pattern_wins(path, component):
    assert INDEX.best_match(path)[1] == component


def test_docs_star_does_not_reach_subdirectories_as_in_codeowners():
    assert INDEX.best_match("docs/guides/setup.md") is None


def test_unmatched_path_has_no_owner():
    assert INDEX.best_match("frontend/app.js") is None
    assert INDEX.best_match("") is None


def test_equal_specificity_is_broken_alphabetically_whatever_the_order():
    rows = [("/a/*/c/", "star"), ("/a/?/c/", "question")]
    assert PathIndex.build(rows).best_match("a/b/c/d")[0] == "/a/*/c/"
    assert PathIndex.build(list(reversed(rows))).best_match("a/b/c/d")[0] == "/a/*/c/"


@pytest.mark.parametrize("bad", ["", " ", "!x", "# comment", "a\\", "a\nb", " \\"])
def test_bad_globs_are_refused(bad):
    with pytest.raises(GlobError):
        compile_glob(bad)


@pytest.mark.django_db
def test_lookup_sees_new_and_removed_patterns_without_restart():
    billing = ComponentFactory(slug="billing", paths=["/billing/"])
    assert selectors.ownership_for_path(path="billing/x.py").component == billing

    api = ComponentFactory(slug="billing-api", paths=["/billing/api/"])
    assert selectors.ownership_for_path(path="billing/api/x.py").component == api

    services.component_set_paths(component=api, patterns=[])
    assert selectors.ownership_for_path(path="billing/api/x.py").component == billing
