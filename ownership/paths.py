"""CODEOWNERS-style path globs: parsing, specificity and a fast matcher over many patterns.

Patterns follow the gitignore rules that GitHub's CODEOWNERS uses (``*``, ``?``, ``**``,
character classes, a leading ``/`` anchors at the repository root, a trailing ``/`` matches a
directory and everything below it, a pattern without a slash matches at any depth), with
CODEOWNERS' one difference: ``docs/*`` matches files directly in ``docs/`` but not deeper.
Negation (``!``) is not supported, as in CODEOWNERS.

A backslash escapes the next character, as in git's pattern format
(https://git-scm.com/docs/gitignore#_pattern_format): ``\\*`` is a literal star, ``\\?`` a
literal question mark, ``\\\\`` a backslash, ``\\!`` and ``\\#`` a name that starts with
``!`` or ``#``. A stored pattern (database, API, admin, Backstage annotation) is in the
*canonical form* that ``canonical_pattern`` gives: a space or tab inside the pattern is written
as it is (``/guides/Getting Started.md``), while one at either end is escaped (``notes\\ ``),
because unescaped whitespace around a pattern is dropped as git drops trailing spaces. A
CODEOWNERS file needs every space escaped instead; ``ownership.catalog.codeowners`` converts.

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
    """Turn a path as a tool might send it into the form patterns are matched against.

    Line breaks around the path are dropped, but not spaces: a file name may end with one.
    """
    path = path.strip("\r\n").replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


# Whitespace a pattern may hold; line breaks and other control characters cannot be written
# in a CODEOWNERS line at all.
_BLANKS = " \t"


def _characters(pattern: str) -> list[tuple[str, bool]]:
    """Split a pattern into (character, escaped) pairs; a backslash escapes the next one.

    Raises GlobError for a backslash with nothing after it to escape.
    """
    chars, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\":
            if i + 1 == len(pattern):
                raise GlobError("A path pattern cannot end with a lone backslash (write \\\\).")
            chars.append((pattern[i + 1], True))
            i += 2
        else:
            chars.append((pattern[i], False))
            i += 1
    return chars


def _is_blank(char) -> bool:
    return not char[1] and char[0].isspace()


def canonical_pattern(pattern: str) -> str:
    """Return the stored form of a gitignore-style pattern; raise GlobError if it is unusable.

    Unescaped whitespace at either end is dropped (git ignores trailing spaces "unless they are
    quoted with backslash", https://git-scm.com/docs/gitignore#_pattern_format); a space or tab
    inside is written bare, one at either end escaped. A leading unescaped ``!`` (negation,
    which CODEOWNERS does not support) or ``#`` (a comment in CODEOWNERS) is refused: write
    ``\\!`` or ``\\#`` for a name that starts with it (elsewhere they need no backslash and
    lose it). Every other escape is kept as given, so ``\\*`` stays a literal star.
    E.g. ``"/guides/Getting\\ Started.md "`` -> ``"/guides/Getting Started.md"``, while
    ``"notes\\ "`` stays ``"notes\\ "``. Also refused: line breaks and control characters, a
    tab at the end (pathspec cannot compile it), more than 300 characters.
    """
    if not isinstance(pattern, str):
        raise GlobError("A path pattern must be a string.")
    chars = _characters(pattern)
    while chars and _is_blank(chars[-1]):
        chars.pop()
    while chars and _is_blank(chars[0]):
        chars.pop(0)
    if not chars:
        raise GlobError("A path pattern cannot be empty.")
    for char, _ in chars:
        if char.isspace() and char not in _BLANKS or not char.isprintable() and char != "\t":
            raise GlobError("A path pattern cannot contain line breaks or control characters.")
    if chars[-1][0] == "\t":
        # pathspec, which compiles the patterns, cannot express it; no real file needs it.
        raise GlobError("A path pattern cannot end with a tab, even an escaped one.")
    first, escaped = chars[0]
    if first == "!" and not escaped:
        raise GlobError(
            "Negated patterns (!) are not supported, as in CODEOWNERS; "
            "write \\! for a name that starts with !."
        )
    if first == "#" and not escaped:
        raise GlobError(
            "A path pattern cannot start with # (that is a comment in CODEOWNERS); "
            "write \\# for a name that starts with #."
        )
    last = len(chars) - 1
    out = []
    for index, (char, escaped) in enumerate(chars):
        if char.isspace():
            out.append("\\" + char if index in (0, last) else char)
        elif escaped and char in "#!" and index > 0 and chars[index - 1] != ("[", False):
            out.append(char)  # only special first in the pattern (or "!" first in a [...])
        else:
            out.append("\\" + char if escaped else char)
    canonical = "".join(out)
    if len(canonical) > 300:
        raise GlobError("A path pattern can be at most 300 characters long.")
    return canonical


def _specificity(chars):
    """(literal characters, -wildcards, names a file) and the first literal segment, if any."""
    anchored = any(c == ("/", False) for c in chars[:-1])
    names_dir = chars[-1] == ("/", False)
    while chars and chars[0] == ("/", False):
        chars = chars[1:]
    while chars and chars[-1] == ("/", False):
        chars = chars[:-1]
    literal = wildcards = 0
    segments, segment, wild_segments = [], [], set()
    i = 0
    while i < len(chars):
        char, escaped = chars[i]
        step = 1
        if escaped:
            literal += 1
            segment.append(char)
        elif char == "/":
            segments.append("".join(segment))
            segment = []
        elif char in "*?[":
            close = None
            if char == "[":
                close = next(
                    (j for j in range(i + 2, len(chars)) if chars[j] == ("]", False)), None
                )
            if char == "[" and close is None:
                literal += 1
                segment.append(char)
            else:
                wildcards += 1
                wild_segments.add(len(segments))
                if char == "*":
                    while i + step < len(chars) and chars[i + step] == ("*", False):
                        step += 1
                elif char == "[":
                    step = close - i + 1
        else:
            literal += 1
            segment.append(char)
        i += step
    segments.append("".join(segment))
    names_file = not names_dir and wildcards == 0
    bucket = segments[0] if anchored and 0 not in wild_segments else None
    return (literal, -wildcards, names_file), bucket


def compile_glob(pattern: str) -> CompiledGlob:
    """Compile a pattern (see ``canonical_pattern`` for its form); raise GlobError if unusable.

    ``\\*``, ``\\?`` and ``\\[`` match the literal character, so they count as literal
    characters, not wildcards, in the specificity.
    """
    canonical = canonical_pattern(pattern)
    try:
        compiled = GitIgnoreSpecPattern(canonical)
    except (GitIgnorePatternError, ValueError) as exc:
        raise GlobError(f"Not a valid pattern: {exc}") from None
    if compiled.regex is None:
        raise GlobError("The pattern matches nothing.")
    source = compiled.regex.pattern
    chars = _characters(canonical)
    if chars[-2:] == [("/", False), ("*", False)]:
        # CODEOWNERS: "docs/*" owns the files in docs/ but not those in its subdirectories.
        source = source.replace("[^/]+(?:(?P<ps_d>/)|$)", "[^/]+$")
    regex = re.compile(source)
    specificity, bucket = _specificity(chars)
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
