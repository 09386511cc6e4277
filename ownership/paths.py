"""CODEOWNERS-style path globs: parsing, specificity and a fast matcher over many patterns.

Patterns follow the gitignore rules that GitHub's CODEOWNERS uses (``*``, ``?``, ``**``,
character classes, a leading ``/`` anchors at the repository root, a trailing ``/`` matches a
directory and everything below it, a pattern without a slash matches at any depth), with
CODEOWNERS' one difference: ``docs/*`` matches files directly in ``docs/`` but not deeper.
Negation (``!``) is not supported, as in CODEOWNERS.

When several patterns match a path, the most specific one wins:

1. the pattern with the most literal characters (everything but wildcards and slashes);
2. then the one with fewer wildcards;
3. then the one that names a file rather than a directory;
4. then the pattern that sorts first alphabetically (so the answer never depends on order).
"""

import re
from dataclasses import dataclass, field

from pathspec.patterns.gitignore import GitIgnorePatternError
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

_WILDCARD = re.compile(r"\*\*|\*|\?|\[[^\]]*\]")


class GlobError(ValueError):
    """The pattern is not a usable CODEOWNERS glob."""


@dataclass(frozen=True)
class CompiledGlob:
    pattern: str
    regex: re.Pattern
    specificity: tuple
    bucket: str | None  # first literal path segment of an anchored pattern, else None

    def matches(self, path: str) -> bool:
        return self.regex.match(path) is not None


def normalise_path(path: str) -> str:
    """Turn a path as a tool might send it into the form patterns are matched against."""
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def compile_glob(pattern: str) -> CompiledGlob:
    if not isinstance(pattern, str) or not pattern.strip():
        raise GlobError("A path pattern cannot be empty.")
    if pattern != pattern.strip() or any(c.isspace() for c in pattern):
        raise GlobError("A path pattern cannot contain spaces.")
    if pattern.startswith("!"):
        raise GlobError("Negated patterns (!) are not supported, as in CODEOWNERS.")
    if pattern.startswith("#"):
        raise GlobError("A path pattern cannot start with # (that is a comment in CODEOWNERS).")
    if len(pattern) > 300:
        raise GlobError("A path pattern can be at most 300 characters long.")
    try:
        compiled = GitIgnoreSpecPattern(pattern)
    except (GitIgnorePatternError, ValueError) as exc:
        raise GlobError(f"Not a valid pattern: {exc}") from None
    if compiled.regex is None:
        raise GlobError("The pattern matches nothing.")
    source = compiled.regex.pattern
    if pattern.endswith("/*"):
        # CODEOWNERS: "docs/*" owns the files in docs/ but not those in its subdirectories.
        source = source.replace("[^/]+(?:(?P<ps_d>/)|$)", "[^/]+$")
    regex = re.compile(source)

    core = pattern.strip("/")
    wildcards = len(_WILDCARD.findall(core))
    literal = len(_WILDCARD.sub("", core).replace("/", ""))
    names_file = not pattern.endswith("/") and wildcards == 0
    specificity = (literal, -wildcards, names_file)

    anchored = "/" in pattern.rstrip("/")
    first = core.split("/", 1)[0]
    bucket = first if anchored and not _WILDCARD.search(first) else None
    return CompiledGlob(pattern=pattern, regex=regex, specificity=specificity, bucket=bucket)


def _rank(glob: CompiledGlob):
    # Sort key: higher specificity first, then alphabetical pattern.
    literal, neg_wildcards, names_file = glob.specificity
    return (-literal, -neg_wildcards, not names_file, glob.pattern)


@dataclass
class PathIndex:
    """All patterns of the catalog, bucketed by their first path segment for fast lookup."""

    owners: dict = field(default_factory=dict)  # pattern -> component id
    buckets: dict = field(default_factory=dict)  # first segment -> [CompiledGlob]
    floating: list = field(default_factory=list)  # patterns that may match anywhere

    @classmethod
    def build(cls, rows, compiled=None):
        """Build from (pattern, component_id) pairs; ``compiled`` caches globs across builds."""
        index = cls()
        compiled = {} if compiled is None else compiled
        for pattern, component_id in rows:
            glob = compiled.get(pattern)
            if glob is None:
                glob = compiled[pattern] = compile_glob(pattern)
            index.owners[pattern] = component_id
            if glob.bucket is None:
                index.floating.append(glob)
            else:
                index.buckets.setdefault(glob.bucket, []).append(glob)
        return index

    def best_match(self, path: str):
        """Return (pattern, component id) of the most specific pattern matching path, or None."""
        path = normalise_path(path)
        if not path:
            return None
        first = path.split("/", 1)[0]
        candidates = [g for g in self.buckets.get(first, ()) if g.matches(path)]
        candidates += [g for g in self.floating if g.matches(path)]
        if not candidates:
            return None
        best = min(candidates, key=_rank)
        return best.pattern, self.owners[best.pattern]
