"""One exception tree for everything an analyst can get wrong, each error pointing at the text."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """A place in a pack: 1-based line and column, the span's width and the line's text.

    For a pack built from data there is no file: `field` names the field (`when`,
    `card.details[1]`) and line and column count inside that field's text."""

    path: str = "<text>"
    line: int = 0
    column: int = 0
    width: int = 1
    text: str = ""
    rule: str | None = None
    field: str | None = None  # a pack built from data: the field inside the rule (or pack)


class RuleError(Exception):
    """Base of every error this package raises about packs, rules, facts and examples."""

    def __init__(
        self, message: str, where: Where | None = None, span: tuple[int, int] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.where = where
        self.span = span  # (start, end) offsets inside a condition or template, when known

    def located(self, where: Where) -> RuleError:
        """The same error at a place in a file (positions inside a condition are added on)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        Exception.__init__(clone, self.message)
        clone.where = where
        return clone

    def __str__(self) -> str:
        where = self.where
        if where is None:
            return self.message
        parts = [where.path]
        if where.rule:
            parts.append(f'rule "{where.rule}"')
        if where.field:
            parts.append(f"field `{where.field}`")
        if where.line:
            parts.append(f"line {where.line}, column {where.column}")
        elif where.column:
            parts.append(f"column {where.column}")
        head = ", ".join(parts) + ": " + self.message
        if not where.text:
            return head
        caret = " " * (where.column - 1) + "^" * max(1, where.width)
        return f"{head}\n    {where.text}\n    {caret}"


class RuleSyntaxError(RuleError):
    """The text of a condition or template cannot be read."""


class RuleLimitError(RuleSyntaxError):
    """A condition exceeds a size, length or nesting limit (refused before any work is done)."""


class RuleTypeError(RuleError):
    """A condition reads fine but combines values of types that do not go together."""


class UnknownFactError(RuleTypeError):
    """A condition or template names a fact the vocabulary does not declare."""


class PackError(RuleError):
    """A pack file is malformed: bad YAML, a missing or unknown key, a bad value."""


class VocabularyError(RuleError):
    """The fact vocabulary itself is malformed."""


class FactError(RuleError):
    """A fact value passed to `evaluate` does not have its declared type."""


class ExampleFailed(RuleError):
    """A pack's or rule's example did not produce the cards it promises."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A `: did you mean `x`?` suffix, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f": did you mean `{close[0]}`?" if close else ""
