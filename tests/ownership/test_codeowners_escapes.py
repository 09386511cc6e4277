"""Backslash escapes, whitespace and comments in CODEOWNERS lines and in stored path globs.

The rules are git's pattern format (https://git-scm.com/docs/gitignore#_pattern_format), which
GitHub's CODEOWNERS follows: a backslash escapes the next character, trailing whitespace is
ignored unless escaped, a leading ``!`` negates (refused in Rota, as in CODEOWNERS) and
``\\#``/``\\!`` start a name with ``#``/``!``. Rota stores a pattern with inner spaces bare.
"""

import pytest
from django.core.exceptions import ValidationError

from ownership import selectors, services
from ownership.catalog import (
    CatalogImportError,
    catalog_import,
    codeowners_export,
    codeowners_import,
    parse_codeowners,
)
from ownership.models import Component, ComponentPath
from ownership.paths import GlobError, PathIndex, canonical_pattern, compile_glob
from ownership.validators import validate_glob
from tests.ownership.factories import ComponentFactory, TeamFactory


@pytest.fixture
def teams(db):
    return {
        "payments": TeamFactory(slug="payments", name="Payments"),
        "platform": TeamFactory(slug="platform", name="Platform"),
    }


def owners():
    """Stored pattern -> owner team slug of its component."""
    return dict(ComponentPath.objects.values_list("pattern", "component__owner_team__slug"))


def parsed(text):
    rules, errors = parse_codeowners(text)
    return [(r.line, r.pattern, [o.text for o in r.owners]) for r in rules], errors


# --- Reading CODEOWNERS lines ----------------------------------------------------------------


def test_escaped_spaces_keep_the_pattern_whole():
    # The example from the report, plus a directory with two spaces: each backslash-space is
    # part of the pattern, so the owner is the word after the first unescaped space.
    rules, errors = parsed(
        "/guides/Getting\\ Started.md @org/docs\ndocs/My\\ Old\\ Notes/ @org/platform\n"
    )

    assert errors == []
    assert rules == [
        (1, "/guides/Getting Started.md", ["@org/docs"]),
        (2, "docs/My Old Notes/", ["@org/platform"]),
    ]


def test_escaped_hash_and_bang_start_a_name_and_are_not_a_comment_or_a_negation():
    # "\#file" is a pattern (not a comment), "\!important.txt" a literal name (not a negation).
    # Inside a pattern "#" and "!" are not special, so their backslash is dropped when stored.
    rules, errors = parsed(
        "\\#file @org/a\n\\#notes/ @org/a\n\\!important.txt @org/b\n/drafts/\\!wip/ @org/b\n"
    )

    assert errors == []
    assert [r[1] for r in rules] == ["\\#file", "\\#notes/", "\\!important.txt", "/drafts/!wip/"]


def test_trailing_whitespace_is_dropped_unless_escaped():
    # Line 1: "todo\ " then an unescaped space: the escaped one belongs to the name.
    # Line 2: trailing spaces and a tab after the owner are nothing.
    # Line 3: no owners, trailing blanks: the pattern is "/build/out".
    # Line 4: "a\\" is an escaped backslash, so the space after it is unescaped and dropped.
    rules, errors = parsed(
        "/notes/todo\\  @org/a\n/notes/done.md @org/a   \t\n/build/out \t \n/odd/a\\\\ \n"
    )

    assert errors == []
    assert rules == [
        (1, "/notes/todo\\ ", ["@org/a"]),
        (2, "/notes/done.md", ["@org/a"]),
        (3, "/build/out", []),
        (4, "/odd/a\\\\", []),
    ]


def test_comments_after_owners_and_tabs_between_words():
    # A word starting with "#" after the pattern starts a comment, with or without a space
    # after the "#"; tabs separate like spaces; a "#" inside the pattern is part of it.
    rules, errors = parsed(
        "/a/ @org/a @org/b # owned since 2020\n"
        "/b/\t@org/b\t#no-space comment @org/ignored\n"
        "/c/\t\t# nobody owns this\n"
        "/d/#not-a-comment/\t @org/a\n"
    )

    assert errors == []
    assert rules == [
        (1, "/a/", ["@org/a", "@org/b"]),
        (2, "/b/", ["@org/b"]),
        (3, "/c/", []),
        (4, "/d/#not-a-comment/", ["@org/a"]),
    ]


def test_one_pattern_written_two_ways_is_a_repeat():
    # "\#" inside a pattern and a bare "#" mean the same, so line 2 repeats line 1.
    _, errors = parsed("/n/\\#x @org/a\n/n/#x @org/a\n")

    assert errors == ["line 2: pattern /n/#x is repeated (first on line 1)"]


def test_negation_and_broken_escapes_are_refused_naming_the_line():
    _, errors = parsed("!/vendor/ @org/a\n!*.md @org/a\n/ends/with\\\n")

    assert errors[0].startswith("line 1: pattern '!/vendor/': Negated patterns (!) are not")
    assert "write \\! for a name that starts with !" in errors[0]
    assert errors[1].startswith("line 2: pattern '!*.md': Negated patterns")
    assert errors[2] == (
        "line 3: pattern '/ends/with\\\\': A path pattern cannot end with a lone backslash "
        "(write \\\\)."
    )
    assert len(errors) == 3


# --- Import and export -----------------------------------------------------------------------


def test_import_of_escaped_lines_no_longer_aborts(teams):
    text = """\
# component: guides
/guides/Getting\\ Started.md @org/payments   # the report's line
docs/My\\ Notes/\t@org/payments

\\#file @org/platform
\\!important.txt\t@org/platform
/notes/todo\\  @org/platform
"""
    report = codeowners_import(text=text)

    assert owners() == {
        "/guides/Getting Started.md": "payments",
        "docs/My Notes/": "payments",
        "\\#file": "platform",
        "\\!important.txt": "platform",
        "/notes/todo\\ ": "platform",
    }
    assert set(Component.objects.get(slug="guides").paths.values_list("pattern", flat=True)) == {
        "/guides/Getting Started.md",
        "docs/My Notes/",
    }
    # GitHub documents an escaped leading "#" as not working in CODEOWNERS: say so.
    assert report.warnings == [
        "line 5: \\#file names a path starting with #, as in git and GitLab; "
        "GitHub ignores an escaped leading # in CODEOWNERS"
    ]
    assert report.count("created") == 4  # guides, file, important-txt, notes-todo


def test_negation_in_an_import_changes_nothing(teams):
    with pytest.raises(CatalogImportError) as caught:
        codeowners_import(text="/guides/Getting\\ Started.md @org/payments\n!/guides/ @org/a\n")

    assert Component.objects.count() == 0
    assert len(caught.value.errors) == 1
    assert caught.value.errors[0].startswith("line 2: pattern '!/guides/': Negated patterns")


def test_export_escapes_spaces_and_round_trips(teams):
    ComponentFactory(
        slug="guides",
        owner_team=teams["payments"],
        paths=["/guides/Getting Started.md", "docs/My Old Notes/", "/tab\tname"],
    )
    ComponentFactory(
        slug="odd", owner_team=teams["platform"], paths=["\\#file", "\\!important.txt", "todo\\ "]
    )

    text = codeowners_export(org="acme")

    # Every inner space and tab is escaped, so each line's pattern ends at the first blank;
    # the escaped trailing space of "todo\ " is followed by the separating space.
    assert text.split("\n\n")[1:] == [
        "# component: guides\n"
        "/guides/Getting\\ Started.md @acme/payments\n"
        "/tab\\\tname @acme/payments\n"
        "docs/My\\ Old\\ Notes/ @acme/payments",
        "# component: odd\n"
        "\\!important.txt @acme/platform\n"
        "\\#file @acme/platform\n"
        "todo\\  @acme/platform\n",
    ]
    before = owners()
    Component.objects.all().delete()

    codeowners_import(text=text, org="acme")

    assert owners() == before
    assert codeowners_export(org="acme") == text
    # Importing the export again over the same catalog changes nothing.
    again = codeowners_import(text=text, org="acme")
    assert again.summary == "created 0, changed 0, skipped 0 (2 unchanged)"


# --- The API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_accepts_spaces_and_escapes_and_stores_one_spelling(staff_client):
    TeamFactory(slug="docs")
    body = {
        "slug": "guides",
        "name": "Guides",
        "owner_team": "docs",
        # JSON needs no backslash for a space; "docs/My\ Notes/" (file spelling) is accepted
        # too and stored bare; surrounding blanks are dropped unless escaped.
        "paths": [
            "/guides/Getting Started.md",
            "docs/My\\ Notes/",
            "\\#file",
            "  notes\\  ",
        ],
    }

    response = staff_client.post("/api/v1/components/", body, format="json")

    assert response.status_code == 201, response.json()
    expected = ["/guides/Getting Started.md", "docs/My Notes/", "\\#file", "notes\\ "]
    assert response.json()["paths"] == sorted(expected)
    assert sorted(ComponentPath.objects.values_list("pattern", flat=True)) == sorted(expected)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("!/guides/", "Negated patterns (!) are not supported, as in CODEOWNERS; write \\! for"),
        ("!*.md", "Negated patterns (!) are not supported"),
        ("#file", "cannot start with # (that is a comment in CODEOWNERS); write \\# for"),
        ("/guides/\\", "cannot end with a lone backslash"),
        ("/a\nb/", "cannot contain line breaks"),
        ("/a\\\t", "cannot end with a tab"),
    ],
)
def test_api_refuses_bad_patterns_naming_the_field(staff_client, pattern, message):
    body = {"slug": "x", "name": "X", "paths": ["/fine/", pattern]}

    response = staff_client.post("/api/v1/components/", body, format="json")

    assert response.status_code == 400
    errors = response.json()["paths"]
    assert list(errors) == ["1"]  # the second entry of the list
    assert message in errors["1"][0]
    assert not Component.objects.filter(slug="x").exists()


@pytest.mark.django_db
def test_api_sees_two_spellings_of_one_pattern_as_the_same(staff_client):
    ComponentFactory(slug="first", name="First", paths=["/guides/Getting Started.md"])

    response = staff_client.post(
        "/api/v1/components/",
        {"slug": "x", "name": "X", "paths": ["/guides/Getting\\ Started.md"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["paths"] == [
        "/guides/Getting Started.md is already owned by first (First)."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("guides/Getting Started.md", "/guides/Getting Started.md"),  # the report's lookup
        ("docs/My Notes/todo.txt", "docs/My Notes/"),
        ("#file", "\\#file"),
        ("#notes/a.md", "/#notes/"),  # "#" after the first character needs no backslash
        ("[draft]/a.md", "/\\[draft\\]/"),  # anchored: found by its unescaped first segment
        ("src/!important.txt", "\\!important.txt"),
        ("notes ", "notes\\ "),  # a name ending with a space
    ],
)
def test_path_lookup_finds_patterns_with_escapes(user_client, path, pattern):
    team = TeamFactory(slug="docs")
    ComponentFactory(slug="guides", owner_team=team, paths=[pattern])

    response = user_client.get("/api/v1/ownership/", {"path": path})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["matched_pattern"], body["component"]["slug"]) == (pattern, "guides")
    assert body["effective_owner_team"] == "docs"


@pytest.mark.django_db
def test_path_lookup_does_not_confuse_a_trailing_space(user_client):
    # "notes\ " names "notes " only; "notes" (no space) is somebody else's or nobody's.
    ComponentFactory(slug="spaced", paths=["notes\\ "])

    assert user_client.get("/api/v1/ownership/", {"path": "notes"}).status_code == 404
    assert selectors.ownership_for_path(path="notes ").component.slug == "spaced"


# --- Glob semantics of escapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("/docs/\\*.md", ["docs/*.md"], ["docs/a.md"]),  # \* is a literal star
        ("/faq\\?.md", ["faq?.md"], ["faqs.md"]),  # \? a literal question mark
        ("/\\[draft\\].md", ["[draft].md"], ["d.md"]),  # \[ no character class
        ("/a\\\\b", ["a\\b"], ["ab"]),  # \\ one backslash
        ("/guides/Getting Started.md", ["guides/Getting Started.md"], ["guides/Getting"]),
        ("todo\\ ", ["todo ", "x/todo "], ["todo"]),
    ],
)
def test_escaped_wildcards_match_literally(pattern, matches, misses):
    glob = compile_glob(pattern)
    assert [p for p in matches if glob.matches(p)] == matches
    assert [p for p in misses if glob.matches(p)] == []


def test_an_escaped_star_is_a_literal_character_in_the_specificity():
    # "/docs/\*" has five literal characters (d, o, c, s, *) and no wildcard; "/docs/*" has
    # four and a wildcard, so for the file literally named "*" the escaped pattern wins.
    index = PathIndex.build([("/docs/*", "any"), ("/docs/\\*", "star")])
    assert compile_glob("/docs/\\*").specificity == (5, 0, True)
    assert index.best_match("docs/*") == ("/docs/\\*", "star")
    assert index.best_match("docs/a") == ("/docs/*", "any")


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("/guides/Getting\\ Started.md", "/guides/Getting Started.md"),
        ("  /a b/  ", "/a b/"),
        ("todo\\ ", "todo\\ "),
        ("\\ lead", "\\ lead"),
        ("a\\\\ ", "a\\\\"),
        ("/n/\\#x", "/n/#x"),
        ("[\\!a]", "[\\!a]"),  # first in a class "!" negates the class: its escape stays
        ("\\*.md", "\\*.md"),
    ],
)
def test_canonical_form(written, stored):
    assert canonical_pattern(written) == stored


def test_model_validator_refuses_a_second_spelling_with_the_one_to_use():
    with pytest.raises(ValidationError) as caught:
        validate_glob("/a\\ b/")
    assert caught.value.messages == [
        "Write this pattern as /a b/: a space inside a pattern needs no backslash, "
        "one at either end does."
    ]
    validate_glob("/a b/")
    with pytest.raises(GlobError):
        compile_glob("!/a b/")


@pytest.mark.django_db
def test_service_stores_the_canonical_form():
    component = ComponentFactory(slug="svc")

    services.component_set_paths(component=component, patterns=["/a\\ b/", "/a b/ "])

    assert list(component.paths.values_list("pattern", flat=True)) == ["/a b/"]


@pytest.mark.django_db
def test_backstage_paths_annotation_takes_the_same_spellings():
    text = """\
kind: Group
metadata:
  name: docs
spec:
  type: team
---
kind: Component
metadata:
  name: guides
  annotations:
    rota.dev/paths: "/guides/Getting\\\\ Started.md, docs/My Notes/, \\\\#file"
spec:
  type: service
  owner: docs
"""
    catalog_import(text=text)

    assert owners() == {
        "/guides/Getting Started.md": "docs",
        "docs/My Notes/": "docs",
        "\\#file": "docs",
    }
