"""Read and write CODEOWNERS files.

This module is pure: text in, plain data out (and back);
``ownership.catalog.codeowners_services`` applies parsed rules to the database.

Each line is ``pattern owner...``; owners are ``@org/team-slug``, ``@team-slug``, ``@user``
or an e-mail address. A ``# component: <slug>`` comment names the component of the pattern
lines that follow it, up to the next blank line or component comment. The export writes one
such section per component, ordered by slug; note that GitHub lets the *last* matching line
win, while Rota picks the most specific pattern whatever the order.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_slug

from ..paths import GlobError, compile_glob
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


def parse_codeowners(text: str):
    """Read CODEOWNERS lines into rules; return (rules, errors) with line numbers."""
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
        # Owners cannot start with "#", so a token starting with it begins a trailing comment.
        tokens = line.split()
        for index, token in enumerate(tokens):
            if token.startswith("#"):
                tokens = tokens[:index]
                break
        pattern, owner_tokens = tokens[0], tokens[1:]
        try:
            compile_glob(pattern)
        except GlobError as exc:
            errors.append(f"line {number}: pattern {pattern!r}: {exc}")
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
        lines += [f"{pattern}{owner}" for pattern in sorted(patterns)]
    return "\n".join(lines) + "\n"


def slug_from_pattern(pattern: str) -> str:
    """Derive a component slug from a path pattern, e.g. ``/billing/api/`` -> billing-api."""
    words = re.findall(r"[A-Za-z0-9]+", pattern)
    return "-".join(word.lower() for word in words)[:COMPONENT_SLUG_MAX].strip("-") or "root"
