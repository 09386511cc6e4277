"""Read Backstage entities from YAML, keeping the line of each mapping and key for messages."""

import re
from collections.abc import Hashable

import yaml
from django.core.exceptions import ValidationError

_DOCUMENT_START = re.compile(r"^---(?:\s|$)")


class _Mapping(dict):
    """A YAML mapping that remembers its line and the line of each key."""

    line = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    line_offset = 0  # where this loader's text starts in the whole file


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1 + loader.line_offset
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1 + loader.line_offset
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_documents(text, errors):
    """Yield (line, document) for each YAML document, collecting syntax errors of all of them."""
    # Each document is parsed on its own so that a syntax error in one does not hide the
    # errors of the others; YAML's own loader stops at the first.
    chunks, start = [], 0
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if _DOCUMENT_START.match(line) and number > start:
            chunks.append((start, "".join(lines[start:number])))
            start = number
    chunks.append((start, "".join(lines[start:])))
    for offset, chunk in chunks:
        loader = _Loader(chunk)
        loader.line_offset = offset
        documents = []
        try:
            while loader.check_data():
                documents.append(loader.get_data())
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1 + offset}, column {mark.column + 1}" if mark else "?"
            problem = " ".join(p for p in (exc.context, exc.problem) if p)
            errors.append(f"{where}: YAML syntax error: {problem}")
            continue
        except yaml.YAMLError as exc:
            errors.append(f"line {offset + 1}: YAML error: {exc}")
            continue
        finally:
            loader.dispose()
        for document in documents:
            if document is not None:
                yield getattr(document, "line", offset + 1), document


class Entity:
    """One entity being read: knows where it is and collects its errors."""

    def __init__(self, document, line, kind, errors):
        self.document, self.line, self.kind, self.errors = document, line, kind, errors
        self.name = None
        self.metadata = self.mapping(document, "metadata")
        self.name = self.metadata.get("name")
        self.spec = self.mapping(document, "spec")
        self.annotations = self.mapping(self.metadata, "annotations", "metadata.annotations")

    def line_of(self, mapping, key):
        return getattr(mapping, "key_lines", {}).get(key, self.line)

    def error(self, message, mapping=None, key=None):
        line = self.line_of(mapping, key) if mapping is not None else self.line
        name = self.name if isinstance(self.name, str) else "(no name)"
        self.errors.append(f"line {line}: {self.kind} {name}: {message}")

    def mapping(self, parent, key, label=None):
        value = parent.get(key)
        if value is None:
            return _Mapping()
        if not isinstance(value, dict):
            self.error(f"{label or key} must be a mapping", parent, key)
            return _Mapping()
        return value

    def text(self, parent, key, label, max_length=None, validator=None):
        """Return the string at parent[key], or None after recording why it is unusable."""
        value = parent.get(key)
        if value is None:
            return ""
        if isinstance(value, bool | int | float):
            value = str(value)
        if not isinstance(value, str):
            self.error(f"{label} must be text", parent, key)
            return None
        value = value.strip()
        if max_length and len(value) > max_length:
            self.error(f"{label} is longer than {max_length} characters", parent, key)
            return None
        if value and validator is not None:
            try:
                validator(value)
            except ValidationError as exc:
                self.error(f"{label} {value!r}: {' '.join(exc.messages)}", parent, key)
                return None
        return value

    def ref(self, parent, key, label, expected_kind):
        """Return the name in an entity reference such as ``group:default/payments``."""
        value = self.text(parent, key, label)
        if not value:
            return value
        kind, _, rest = value.rpartition(":")
        name = rest.rpartition("/")[2]
        if kind and kind.lower() != expected_kind:
            self.error(f"{label} {value!r} must refer to a {expected_kind}", parent, key)
            return None
        if not name:
            self.error(f"{label} {value!r} names no entity", parent, key)
            return None
        return name
