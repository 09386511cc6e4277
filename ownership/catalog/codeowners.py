"""Read and write CODEOWNERS files.

This module is pure: text in, plain data out (and back);
``ownership.catalog.codeowners_services`` applies parsed rules to the database.

Each line is ``pattern owner...``; owners are ``@org/team-slug``, ``@team-slug``, ``@user``
or an e-mail address. A ``# component: <slug>`` comment names the component of the pattern
lines that follow it, up to the next blank line or component comment. The export writes one
such section per component, ordered by slug; note that GitHub lets the *last* matching line
win, while Rota picks the most specific pattern whatever the order.

Line syntax follows git's pattern format (https://git-scm.com/docs/gitignore#_pattern_format),
which GitHub's CODEOWNERS uses ("the same rules used in gitignore files",
https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners):

- a line whose first non-blank character is ``#`` is a comment; so is everything from a word
  starting with ``#`` after the pattern (``/a/ @org/team  # why``);
- the pattern ends at the first whitespace (space or tab) not escaped by a backslash, so
  ``/guides/Getting\\ Started.md`` is one pattern with a space; the owners are separated by
  any run of whitespace;
- a backslash escapes the next character: ``\\#file`` and ``\\!file`` are names that start with
  ``#`` and ``!``, ``\\*`` a literal star; trailing whitespace is ignored unless escaped;
- a leading unescaped ``!`` (negation) is refused, as GitHub does not support it.

GitHub's documentation lists "escaping a pattern starting with # using \\" among the gitignore
rules that do not work in CODEOWNERS (git and GitLab honour it); the import accepts such a line
and warns. Patterns come out in their stored form (``ownership.paths.canonical_pattern``:
inner spaces bare) and go back escaped by ``codeowners_pattern``, so export and import round-trip.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_slug

from ..paths import GlobError, canonical_pattern, compile_glob
from .backstage import COMPONENT_SLUG_MAX

_COMPONENT_COMMENT = re.compile(r"^#\s*component:\s*(\S*)\s*$", re.IGNORECASE)
_TEAM_OWNER = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9_.-]+)$")
_NAME_OWNER = re.compile(r"^@([A-Za-z0-9_.-]+)$")
_validate_email = EmailValidator()


@dataclass
class Owner:
    kind: str  # "team" (@org/slug), "name" (@slug: a team or a user) or "email"
    value: str
    org: str = ""
    text: str = ""


@dataclass
class CodeownersRule:
    line: int
    pattern: str
    owners: list
    component: str | None = None  # from a preceding "# component: <slug>" comment


def split_codeowners_line(line: str) -> tuple[str, list[str]]:
    """Split a non-comment line into (pattern as written, owner words before any comment).

    The pattern runs to the first whitespace not escaped by a backslash; the rest is split on
    any whitespace and cut at the first word starting with ``#``. E.g.
    ``"/a\\ b/\t@org/t  # c"`` -> ``("/a\\ b/", ["@org/t"])``.
    """
    line = line.lstrip()
    end = 0
    while end < len(line) and not line[end].isspace():
        end += 2 if line[end] == "\\" else 1
    end = min(end, len(line))
    words = line[end:].split()
    for index, word in enumerate(words):
        if word.startswith("#"):
            words = words[:index]
            break
    return line[:end], words


def codeowners_pattern(pattern: str) -> str:
    """Write a stored pattern as a CODEOWNERS line needs it: every space and tab escaped.

    E.g. ``/guides/Getting Started.md`` -> ``/guides/Getting\\ Started.md``; other escapes
    (``\\#``, ``\\!``, ``\\*``, an escaped trailing space) are already in the stored form.
    """
    out, escaped = [], False
    for char in pattern:
        if char.isspace() and not escaped:
            out.append("\\")
        out.append(char)
        escaped = char == "\\" and not escaped
    return "".join(out)


def parse_codeowners(text: str):
    """Read CODEOWNERS lines into rules; return (rules, errors) with line numbers.

    Each rule's ``pattern`` is in stored form (``ownership.paths.canonical_pattern``); a line
    whose pattern cannot be used (negated, lone backslash, bad glob) gives an error naming it.
    """
    rules, errors, seen = [], [], {}
    component = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            component = None
            continue
        if line.startswith("#"):
            match = _COMPONENT_COMMENT.match(line)
            if match:
                component = match.group(1) or None
                try:
                    if component:
                        validate_slug(component)
                except ValidationError:
                    errors.append(f"line {number}: {component!r} is not a component slug")
                    component = None
            continue
        written, owner_tokens = split_codeowners_line(raw)
        try:
            pattern = canonical_pattern(written)
            compile_glob(pattern)
        except GlobError as exc:
            errors.append(f"line {number}: pattern {written!r}: {exc}")
            continue
        if pattern in seen:
            errors.append(
                f"line {number}: pattern {pattern} is repeated (first on line {seen[pattern]})"
            )
            continue
        seen[pattern] = number
        owners = []
        for token in owner_tokens:
            team, name = _TEAM_OWNER.match(token), _NAME_OWNER.match(token)
            if team:
                owners.append(Owner("team", team.group(2), team.group(1), token))
            elif name:
                owners.append(Owner("name", name.group(1), "", token))
            elif "@" in token and not token.startswith("@"):
                try:
                    _validate_email(token)
                except ValidationError:
                    errors.append(f"line {number}: {token!r} is not a valid e-mail address")
                    continue
                owners.append(Owner("email", token, "", token))
            else:
                errors.append(
                    f"line {number}: owner {token!r} is not @org/team, @name or an e-mail address"
                )
        rules.append(CodeownersRule(number, pattern, owners, component))
    return rules, errors


def build_codeowners(*, sections, org: str = "org") -> str:
    """Write CODEOWNERS from (component slug, owner team slug or None, patterns) sections."""
    lines = [
        "# Code owners exported from the Rota component catalog.",
        "# Each section holds one component's path patterns and the team that owns it.",
    ]
    for slug, team, patterns in sorted(sections, key=lambda s: s[0]):
        if not patterns:
            continue
        lines += ["", f"# component: {slug}"]
        owner = f" @{org}/{team}" if team else ""
        lines += [f"{codeowners_pattern(pattern)}{owner}" for pattern in sorted(patterns)]
    return "\n".join(lines) + "\n"


def slug_from_pattern(pattern: str) -> str:
    """Derive a component slug from a path pattern, e.g. ``/billing/api/`` -> billing-api."""
    words = re.findall(r"[A-Za-z0-9]+", pattern)
    return "-".join(word.lower() for word in words)[:COMPONENT_SLUG_MAX].strip("-") or "root"
