"""What a pack is read from: plain data (dicts, lists, text, numbers) with a place for each value.

A pack loads from data (`Pack.from_data`, what the workbench keeps in the database) or from YAML,
and YAML is a thin layer: its nodes become the same items, each remembering its node, so errors
still point at the file's line and column. An item from data remembers its field instead
(`card.details[1]`), and errors name the rule id, the field and the column inside the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

import yaml

from .errors import PackError, RuleError, Where, did_you_mean
from .yamlsource import NULLS, Source, is_null


class Field(NamedTuple):
    """Where a value sits in pack data: a dotted path such as `card.details[1]`."""

    path: str  # a named tuple: one is made per value of every pack loaded from data


class Item(NamedTuple):
    """A value read from a pack and where it came from (a YAML node or a data field)."""

    value: Any  # dict[str, Item] | list[Item] | str | None | a plain data value
    place: Any  # yaml.Node | Field
    plain: bool = True  # a YAML scalar written without quotes (true/false/null only count then)


# -- building items ----------
# An item is made for every value of every pack loaded: `_new(Item, (value, place, plain))`
# skips the named tuple's Python-level __new__, which is half the cost of making one.
_new = tuple.__new__


def items_from_yaml(node: yaml.Node, source: Source) -> Item:
    """YAML nodes as items: text stays text, a plain `null` or empty value is None."""
    if node.__class__ is yaml.ScalarNode:  # most nodes are scalars: one test for them
        if not node.style and node.value in NULLS:
            return _new(Item, (None, node, True))
        return _new(Item, (node.value, node, not node.style))
    if isinstance(node, yaml.MappingNode):
        found = Mapped()
        keys: dict[str, yaml.Node] = {}
        twice: list[Item] = []
        found.key_nodes, found.twice = keys, twice
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(None)
            if name in found:
                twice.append(Item(name, key))
                continue
            found[name] = items_from_yaml(value, source)
            keys[name] = key
        return Item(found, node)
    if isinstance(node, yaml.SequenceNode):
        return Item([items_from_yaml(child, source) for child in node.value], node)
    if is_null(node):
        return Item(None, node)
    return Item(node.value, node, not node.style)


def items_from_data(value: Any, path: str = "") -> Item:
    """Plain data (as JSON or a database row gives it) as items, each knowing its field."""
    kind = value.__class__
    if kind is str or kind is int or kind is bool or value is None:
        return _new(Item, (value, _new(Field, (path,)), True))
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        found = Mapped()
        for key, child in value.items():
            name = key if key.__class__ is str else str(key)
            if path:
                found[name] = items_from_data(child, f"{path}.{name}")
            elif name == "rules" and isinstance(child, list | tuple):
                found[name] = Item([items_from_data(r, "") for r in child], Field(name))
            else:
                found[name] = items_from_data(child, name)
        return Item(found, Field(path))
    if isinstance(value, list | tuple):
        return Item([items_from_data(c, f"{path}[{i}]") for i, c in enumerate(value)], Field(path))
    return Item(value, Field(path))


class Mapped(dict):
    """A mapping's items by key, and where each key was written (for errors about keys).

    Made empty and filled in place; a YAML mapping also sets `key_nodes` and `twice`."""

    key_nodes: dict[str, yaml.Node] | None = None  # YAML keys' nodes; None for data
    twice: list[Item] | tuple[()] = ()  # YAML keys written a second time

    @property
    def keys_at(self) -> dict[str, Item]:
        """The items of the keys themselves, made only when an error needs one: a YAML key sits
        at its own node, a key in data at its value's field."""
        if self.key_nodes is None:
            return {name: Item(name, item.place) for name, item in self.items()}
        return {name: Item(name, node) for name, node in self.key_nodes.items()}


def plain(item: Item) -> Any:
    """The plain value of an item (items inside it unwrapped)."""
    value = item.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# -- reading items ----------
class Reader:
    """Typed access to items with errors that name the place and the rule."""

    def __init__(self, source: Source, rule: str | None = None):
        self.source = source
        self.rule = rule

    def where(self, item: Item | None) -> Where:
        if item is None:
            return Where(self.source.path, rule=self.rule)
        if isinstance(item.place, Field):
            return Where(self.source.path, rule=self.rule, field=item.place.path or None)
        return self.source.where(item.place, self.rule)

    def where_in(self, item: Item, span: tuple[int, int]) -> Where:
        """The place of characters [start, end) of a text item."""
        if not isinstance(item.place, Field):
            return self.source.where_in(item.place, span, self.rule)
        text = item.value
        start, end = span
        start = max(0, min(start, len(text)))
        line = text.count("\n", 0, start)
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        width = max(1, min(end, line_end) - start)
        return Where(
            self.source.path,
            line + 1 if "\n" in text.strip() else 0,
            start - line_start + 1,
            width,
            text[line_start:line_end],
            self.rule,
            item.place.path or None,
        )

    def fail(self, message: str, item: Item | None, cls: type[RuleError] = PackError) -> RuleError:
        return cls(message, self.where(item))

    def mapping(
        self, item: Item, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Item]:
        if not isinstance(item.value, dict):
            raise self.fail(f"{what} must be a mapping of keys to values", item)
        found: dict[str, Item] = item.value
        for key in getattr(found, "twice", ()):
            if key.value in allowed:
                raise self.fail(f"`{key.value}` appears twice in {what}", key)
        for name in found:
            if name not in allowed:
                hint = did_you_mean(str(name), allowed) or f"; expected one of {', '.join(allowed)}"
                raise self.fail(f"unknown key `{name}` in {what}{hint}", found.keys_at[name])
        for name in required:
            if name not in found:
                raise self.fail(f"{what} needs `{name}`", item)
        return found

    def sequence(self, item: Item, what: str, limit: int) -> list[Item]:
        if not isinstance(item.value, list):
            raise self.fail(f"{what} must be a list", item)
        if len(item.value) > limit:
            raise self.fail(f"{what} has {len(item.value)} entries; the limit is {limit}", item)
        return list(item.value)

    def text(self, item: Item, what: str) -> str:
        if not isinstance(item.value, str):
            raise self.fail(f"{what} must be a text value", item)
        return item.value

    def integer(self, item: Item, what: str, low: int, high: int) -> int:
        value = item.value
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            try:
                number = int(value)
            except ValueError:
                number = None
        if number is None or not low <= number <= high:
            raise self.fail(f"{what} must be a whole number from {low} to {high}", item)
        return number

    def choice(self, item: Item, what: str, options: tuple[str, ...]) -> str:
        value = self.text(item, what)
        if value not in options:
            hint = did_you_mean(value, options) or f"; expected one of {', '.join(options)}"
            raise self.fail(f"`{value}` is not a valid {what}{hint}", item)
        return value

    def boolean(self, item: Item, what: str) -> bool:
        value = item.value
        if isinstance(value, bool):
            return value
        yaml_word = isinstance(value, str) and item.plain and not isinstance(item.place, Field)
        if yaml_word and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.fail(f"{what} must be true or false", item)

    def date(self, item: Item, what: str) -> dt.date:
        value = item.value
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(self.text(item, what))
        except (ValueError, RuleError):
            raise self.fail(f"{what} must be a date like 2025-03-01", item) from None

    def strings(self, item: Item, what: str, limit: int) -> list[tuple[str, Item]]:
        return [(self.text(child, what), child) for child in self.sequence(item, what, limit)]
