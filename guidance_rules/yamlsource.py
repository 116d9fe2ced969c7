"""Reading pack YAML as positioned nodes, so every error can point at a line and column.

Only plain YAML is accepted: the standard scalar, list and mapping types; no custom tags, no
anchors or aliases (they invite exponential expansion), no merge keys.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from .errors import PackError, RuleError, Where

# The base loader resolves no implicit types: every scalar stays text and this module decides what
# `null` and `true` mean. It is also much faster than the safe loader's resolver.
_BASE_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_DEFAULT_TAGS = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


class _ComposeLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The base loader with its per-node resolver reduced to one lookup (no implicit types)."""

    def resolve(self, kind: type, value: object, implicit: object) -> str:
        return _DEFAULT_TAGS[kind]


_COMPOSE_LOADER = _ComposeLoader
_TAG = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_TAG + "str", _TAG + "seq", _TAG + "map"}
NULLS = {"", "~", "null", "Null", "NULL"}
_TAG_OR_ANCHOR = re.compile(r"&|!(?!=)")
MAX_BYTES = 4_000_000


@dataclass
class Source:
    """A pack's text and name; turns nodes and offsets inside scalars into `Where`s."""

    path: str
    text: str

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's lines, split when an error first needs one."""
        return self.text.splitlines() or [""]

    def where(self, node: yaml.Node | None, rule: str | None = None) -> Where:
        if node is None:
            return Where(self.path, rule=rule)
        line, column = node.start_mark.line, node.start_mark.column
        end_line, end_column = node.end_mark.line, node.end_mark.column
        text = self.lines[line] if line < len(self.lines) else ""
        width = (end_column - column) if end_line == line else len(text) - column
        return Where(self.path, line + 1, column + 1, max(1, width), text, rule)

    def where_in(self, node: yaml.ScalarNode, span: tuple[int, int], rule: str | None) -> Where:
        """The file position of characters [start, end) of a scalar's value."""
        start, end = span
        places = list(itertools.islice(_align(self.lines, node), end + 1))
        start = min(start, len(places) - 1)
        end = max(start + 1, min(end, len(places) - 1))
        line, column = places[start]
        end_line, end_column = places[end - 1]
        text = self.lines[line]
        width = end_column - column + 1 if end_line == line else len(text) - column
        return Where(self.path, line + 1, column + 1, max(1, width), text, rule)

    def error(
        self, cls: type[RuleError], message: str, node: yaml.Node | None, rule: str | None = None
    ) -> RuleError:
        return cls(message, self.where(node, rule))


def _align(lines: list[str], node: yaml.ScalarNode) -> Iterator[tuple[int, int]]:
    """(line, column) in the file of each character of the scalar's value, plus one past the end.

    YAML may fold lines, strip indentation and resolve escapes, so each value character is
    matched greedily against the raw text that follows the scalar's start.
    """
    line, column = node.start_mark.line, node.start_mark.column
    if node.style in ("|", ">"):
        line, column = line + 1, 0
    elif node.style in ("'", '"'):
        column += 1
    raw = _raw_chars(lines, line, column)
    current = next(raw, None)
    last = (line, column)
    for char in node.value:
        while current is not None and not _same(current[2], char):
            current = next(raw, None)
        if current is None:
            yield last
            continue
        last = current[:2]
        yield last
        current = next(raw, None)
    yield (current[:2] if current is not None else last)


def _same(raw: str, char: str) -> bool:
    return raw == char or (raw.isspace() and char.isspace())


def _raw_chars(lines: list[str], line: int, column: int) -> Iterator[tuple[int, int, str]]:
    while line < len(lines):
        text = lines[line]
        for index in range(column, len(text)):
            yield line, index, text[index]
        yield line, len(text), "\n"
        line, column = line + 1, 0


def compose(source: Source) -> yaml.Node:
    """Parse the text into nodes; refuses tags, anchors and oversized files."""
    if len(source.text) > MAX_BYTES:
        raise PackError(f"{source.path}: the pack is larger than {MAX_BYTES:,} characters")
    try:
        root = yaml.compose(source.text, Loader=_COMPOSE_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = Where(
            source.path,
            mark.line + 1,
            mark.column + 1,
            1,
            source.lines[mark.line] if mark.line < len(source.lines) else "",
        )
        raise PackError(f"not valid YAML: {error.problem}", where) from None
    except yaml.YAMLError as error:
        raise PackError(f"{source.path}: not valid YAML: {error}") from None
    if root is None:
        raise PackError("the pack is empty", Where(source.path))
    # Without `&` or a `!` tag there is nothing to refuse; `in` rules most packs out far faster
    # than the regular expression scans them.
    if ("&" in source.text or "!" in source.text) and _TAG_OR_ANCHOR.search(source.text):
        _refuse_tags_and_aliases(source, root)
    return root


def _refuse_tags_and_aliases(source: Source, root: yaml.Node) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise source.error(PackError, "YAML anchors and aliases are not allowed in packs", node)
        seen.add(id(node))
        if node.tag not in ALLOWED_TAGS:
            raise source.error(PackError, f"the YAML tag `{node.tag}` is not allowed", node)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def is_null(node: yaml.Node) -> bool:
    """A plain (unquoted) empty, `~` or `null` scalar."""
    return isinstance(node, yaml.ScalarNode) and not node.style and node.value in NULLS
