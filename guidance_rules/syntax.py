"""Reading conditions: a small tokenizer and a recursive-descent parser producing a positioned tree.

Rule text is never handed to Python's `eval`, `exec` or `ast`. Every limit is checked before the
work it bounds is done, so hostile text costs at most a few thousand cheap steps.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from .errors import RuleLimitError, RuleSyntaxError

MAX_LENGTH = 2_000  # characters in one condition
MAX_DEPTH = 24  # nesting of parentheses, calls, `not` and unary minus
MAX_TREE_DEPTH = 48  # depth of the tree (long operator chains)
MAX_NODES = 400  # nodes in one condition
MAX_STRING = 200  # characters in one string literal
MAX_DIGITS = 24  # characters in one number literal
MAX_LIST = 200  # items in one list literal
MAX_ARGS = 8  # arguments of one function call

KEYWORDS = {
    "and",
    "or",
    "not",
    "in",
    "is",
    "missing",
    "present",
    "between",
    "contains",
    "startswith",
    "endswith",
    "true",
    "false",
}
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
TESTS = {"contains", "startswith", "endswith"}
DURATION_UNITS = {
    "min": dt.timedelta(minutes=1),
    "h": dt.timedelta(hours=1),
    "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
}
MULTIPLIERS = {"k": Decimal(1_000), "M": Decimal(1_000_000)}
FUNCTIONS = (
    "abs",
    "ceil",
    "coalesce",
    "date",
    "datetime",
    "days_since",
    "days_until",
    "floor",
    "hours_since",
    "hours_until",
    "len",
    "lower",
    "max",
    "min",
    "overlaps",
    "round",
    "today",
    "upper",
)

# One match is the whitespace before a token and the token, as the texts of the groups (space,
# number, name, string, op, other): `findall` scans a whole condition in C, and each token's
# position follows from the lengths before it. A well-formed string is matched whole; `other` is
# any other character, including a quote that opens a malformed string, and `tokenize` explains
# it with the careful character-by-character code below.
_TOKEN = re.compile(
    r"""
    ([ \t\r\n]*)
    (?:
        (\$?[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:%|[A-Za-z_][A-Za-z0-9_]*)?)
      | ([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | ("(?:[^"\\\n]|\\["'\\])*"|'(?:[^'\\\n]|\\["'\\])*')
      | (\*\*|==|!=|<=|>=|&&|\|\||[-+*/<>()\[\],=%.!&|])
      | ([^ \t\r\n])
    )
    """,
    re.VERBOSE,
)
_SPACE = " \t\r\n"
_NUMBER = re.compile(r"(\$?)([0-9_.]*)(.*)")  # a number token's money sign, digits and suffix
_PYTHON_KEYWORDS = set(keyword.kwlist)
_RESERVED = KEYWORDS | _PYTHON_KEYWORDS  # words that are never fact names
_LEVELS = {"or": 1, "and": 2, "+": 4, "-": 4, "*": 5, "/": 5, "is": 3, "not": 3, "in": 3,
           "between": 3, "contains": 3, "startswith": 3, "endswith": 3}  # fmt: skip
_LEVELS.update(dict.fromkeys(COMPARISONS, 3))
_HINTS = {
    "**": "there is no power operator `**`",
    "=": "use `==` to compare",
    "%": "`%` only follows a number (`90%`); there is no remainder operator",
    ".": "attribute access is not part of the rule language",
    "!": "use `not` (or `!=`)",
    "&&": "use `and`",
    "&": "use `and`",
    "||": "use `or`",
    "|": "use `or`",
}


# Slots: a condition is parsed into a few dozen nodes on every cold load, and a slotted
# dataclass is built in well under half the time of one with a __dict__.
@dataclass(eq=False, slots=True)
class Node:
    """A node of a condition, with its [start, end) offsets in the condition text."""

    start: int
    end: int
    type: Any = field(default=None, kw_only=True, repr=False)  # set by the checker
    depth: int = field(default=1, kw_only=True, repr=False)
    exact: bool = field(default=False, kw_only=True, repr=False)  # a Decimal at run time


@dataclass(eq=False, slots=True)
class Literal(Node):
    value: Any
    kind: str  # number, percent, money, duration, string, boolean, date, datetime
    text: str = ""


@dataclass(eq=False, slots=True)
class ListLit(Node):
    items: list[Literal]


@dataclass(eq=False, slots=True)
class Name(Node):
    name: str


@dataclass(eq=False, slots=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


@dataclass(eq=False, slots=True)
class Binary(Node):
    op: str  # + - * / and or, or a comparison
    left: Node
    right: Node


@dataclass(eq=False, slots=True)
class Test(Node):
    op: str  # in, between, contains, startswith, endswith, missing
    negated: bool
    subject: Node
    args: list[Node]


@dataclass(eq=False, slots=True)
class Call(Node):
    func: str
    args: list[Node]


def children(node: Node) -> list[Node]:
    """The direct sub-nodes of `node`, left to right."""
    if isinstance(node, ListLit):
        return list(node.items)
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, Test):
        return [node.subject, *node.args]
    if isinstance(node, Call):
        return list(node.args)
    return []


class Token(NamedTuple):
    kind: str  # number, name, string, op, end
    text: str
    start: int
    end: int
    value: Any = None
    word: str = ""  # the text of an operator or name token, for quick keyword tests


def tokenize(text: str) -> list[Token]:
    """Split a condition into tokens; refuses anything that is not part of the language."""
    if len(text) > MAX_LENGTH:
        raise RuleLimitError(
            f"the condition is {len(text):,} characters long; the limit is {MAX_LENGTH:,}",
            span=(0, 1),
        )
    tokens: list[Token] = []
    append, end = tokens.append, 0
    # tuple.__new__ skips the named tuple's Python-level __new__, half the cost of a token.
    new = tuple.__new__
    # Trailing whitespace is left out of the scan, so that every match ends in a token.
    for space, number, name, string, op, other in _TOKEN.findall(text, 0, len(text.rstrip(_SPACE))):
        start = end + len(space)
        if name:
            end = start + len(name)
            if name[0] == "_" or "._" in name:
                raise _name_error(name, start)
            append(new(Token, ("name", name, start, end, None, name)))
        elif op:
            end = start + len(op)
            append(new(Token, ("op", op, start, end, None, op)))
        elif number:
            end = start + len(number)
            append(_number(number, start))
        elif string:
            end = start + len(string)
            if "\\" in string or len(string) > MAX_STRING:  # escapes, or maybe over the limit
                append(_string(text, start))
            else:
                append(Token("string", string, start, end, string[1:-1]))
        else:
            if other in "\"'":
                _string(text, start)  # raises: a well-formed string was matched whole above
            raise _bad_character(text, start, tokens)
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _bad_character(text: str, pos: int, tokens: list[Token]) -> RuleSyntaxError:
    """`lambda x: x` is better explained by `lambda` than by the colon."""
    for token in tokens:
        if token.kind == "name" and token.text in _PYTHON_KEYWORDS:
            return RuleSyntaxError(
                f"`{token.text}` is not part of the rule language", span=(token.start, token.end)
            )
    return RuleSyntaxError(f"unexpected character `{text[pos]}`", span=(pos, pos + 1))


def _string(text: str, start: int) -> Token:
    quote, pos, chars = text[start], start + 1, []
    while pos < len(text) and text[pos] != quote:
        char = text[pos]
        if char == "\n":
            break
        if char == "\\":
            pos += 1
            if pos >= len(text) or text[pos] not in "\\\"'":
                raise RuleSyntaxError(
                    "the only escapes in strings are \\\\, \\\" and \\'", span=(pos - 1, pos + 1)
                )
            char = text[pos]
        chars.append(char)
        pos += 1
        if len(chars) > MAX_STRING:
            raise RuleLimitError(
                f"string literals are limited to {MAX_STRING} characters", span=(start, pos)
            )
    if pos >= len(text) or text[pos] != quote:
        raise RuleSyntaxError("this string is not closed", span=(start, start + 1))
    return Token("string", text[start : pos + 1], start, pos + 1, "".join(chars))


def _number(raw: str, start: int) -> Token:
    end = start + len(raw)
    if len(raw) > MAX_DIGITS:
        raise RuleLimitError(
            f"number literals are limited to {MAX_DIGITS} characters", span=(start, end)
        )
    sign, digits, suffix = _NUMBER.fullmatch(raw).groups()
    money = sign == "$"
    if "_" in digits and (
        digits.endswith("_") or "__" in digits or "_." in digits or "._" in digits
    ):
        raise RuleSyntaxError(f"malformed number `{raw}`", span=(start, end))
    value = Decimal(digits.replace("_", ""))
    kind = "money" if money else "number"
    if suffix == "%":
        if money:
            raise RuleSyntaxError(f"`{raw}`: a money amount can't be a percent", span=(start, end))
        kind, value = "percent", value / 100
    elif suffix in MULTIPLIERS:
        value *= MULTIPLIERS[suffix]
    elif suffix in DURATION_UNITS and not money:
        kind, value = "duration", _duration(value, suffix, start, end)
    elif suffix:
        hint = " (write numbers plainly, without an exponent)" if suffix[0] in "eE" else ""
        raise RuleSyntaxError(
            f"unknown suffix `{suffix}` on `{raw}`; numbers may end in %, k, M, "
            f"or a duration unit (min, h, d, w){hint}",
            span=(start, end),
        )
    return Token("number", raw, start, end, (kind, value))


def _duration(value: Decimal, unit: str, start: int, end: int) -> dt.timedelta:
    micros = value * int(DURATION_UNITS[unit] / dt.timedelta(microseconds=1))
    if micros != micros.to_integral_value() or micros > 10**17:
        raise RuleSyntaxError(
            "durations are whole microseconds up to a few thousand years", span=(start, end)
        )
    return dt.timedelta(microseconds=int(micros))


def _name_error(raw: str, start: int) -> RuleSyntaxError:
    return RuleSyntaxError(
        f"`{raw}`: names starting with `_` are not allowed", span=(start, start + len(raw))
    )


class Parser:
    """Recursive descent, one method per precedence level (lowest first)."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.nodes = 0

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            raise self.unexpected(token)
        return node

    # -- helpers ----------
    def peek(self, ahead: int = 0) -> Token:
        if ahead:
            return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.tokens[self.index].word in texts

    def expect(self, text: str, why: str) -> Token:
        if not self.at(text):
            raise self.unexpected(self.peek(), f"expected `{text}` {why}")
        return self.advance()

    def count(self, node: Node) -> Node:
        """A new node, counted against the size limits (its `depth` is one more than its deepest
        child's, 1 for a leaf)."""
        self.nodes += 1
        if node.depth > MAX_TREE_DEPTH or self.nodes > MAX_NODES:
            raise RuleLimitError(
                f"the condition is too large (at most {MAX_NODES} terms, "
                f"{MAX_TREE_DEPTH} levels deep); split it into simpler rules",
                span=(node.start, node.end),
            )
        return node

    def nested(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleLimitError(
                f"the condition nests more than {MAX_DEPTH} levels deep",
                span=(token.start, token.end),
            )

    def unexpected(self, token: Token, what: str = "") -> RuleSyntaxError:
        span = (token.start, max(token.end, token.start + 1))
        if token.kind == "end":
            message = "the condition ends too early"
            return RuleSyntaxError(f"{message}: {what}" if what else message, span=span)
        if token.kind == "name" and token.text in keyword.kwlist and token.text not in KEYWORDS:
            hint = {
                "True": "write `true`",
                "False": "write `false`",
                "None": "use `is missing`",
            }.get(token.text)
            message = f"`{token.text}` is not part of the rule language"
            return RuleSyntaxError(message + (f"; {hint}" if hint else ""), span=span)
        if token.text in _HINTS:
            return RuleSyntaxError(_HINTS[token.text], span=span)
        message = f"unexpected `{token.text}`"
        return RuleSyntaxError(f"{message}: {what}" if what else message, span=span)

    # -- precedence climbing: or < and < not < tests < + - < * / < unary minus ----------
    def parse_or(self) -> Node:
        return self.parse_level(1)

    def parse_sum(self) -> Node:
        return self.parse_level(4)

    def parse_level(self, floor: int) -> Node:
        """An expression whose operators all bind at least as tightly as `floor`."""
        tokens = self.tokens
        if floor <= 3 and tokens[self.index].word == "not":
            left = self.parse_not()
        else:
            left = self.parse_unary()
        while True:
            word = tokens[self.index].word
            level = _LEVELS.get(word)
            if level is None or level < floor:
                return left
            if level == 3:
                left = self.parse_test(left)
                following = tokens[self.index]
                if following.word in COMPARISONS:
                    raise RuleSyntaxError(
                        "comparisons can't be chained; use `between` or `and`",
                        span=(following.start, following.end),
                    )
                continue
            self.index += 1
            right = self.parse_level(level + 1)
            depth = max(left.depth, right.depth) + 1
            left = self.count(Binary(left.start, right.end, word, left, right, depth=depth))

    def parse_not(self) -> Node:
        token = self.advance()
        self.nested(token)
        operand = self.parse_not() if self.at("not") else self.parse_level(3)
        self.depth -= 1
        depth = operand.depth + 1
        return self.count(Unary(token.start, operand.end, "not", operand, depth=depth))

    def parse_test(self, left: Node) -> Node:
        token = self.advance()
        op = token.word
        if token.kind == "op" and op in COMPARISONS:
            right = self.parse_sum()
            depth = max(left.depth, right.depth) + 1
            return self.count(Binary(left.start, right.end, op, left, right, depth=depth))
        negated = op == "not"
        if negated:
            if self.peek().text not in ("in", "between"):
                raise self.unexpected(self.peek(), "expected `in` or `between` after `not`")
            op = self.advance().word
        if op in ("in", "contains", "startswith", "endswith"):
            right = self.parse_sum()
            depth = max(left.depth, right.depth) + 1
            return self.count(Test(left.start, right.end, op, negated, left, [right], depth=depth))
        if op == "between":
            low = self.parse_sum()
            self.expect("and", "between the bounds of `between`")
            high = self.parse_sum()
            depth = max(left.depth, low.depth, high.depth) + 1
            return self.count(
                Test(left.start, high.end, "between", negated, left, [low, high], depth=depth)
            )
        negated = self.at("not")  # after `is`
        if negated:
            self.advance()
        word = self.peek()
        if not self.at("missing", "present"):
            raise self.unexpected(word, "expected `missing` or `present` after `is`")
        self.advance()
        negated ^= word.text == "present"
        depth = left.depth + 1
        return self.count(Test(left.start, word.end, "missing", negated, left, [], depth=depth))

    def parse_unary(self) -> Node:
        if self.tokens[self.index].word != "-":
            return self.parse_primary()
        token = self.advance()
        self.nested(token)
        operand = self.parse_unary()
        self.depth -= 1
        if isinstance(operand, Literal) and operand.kind in ("number", "percent", "money"):
            text = self.text[token.start : operand.end]
            return self.count(Literal(token.start, operand.end, -operand.value, operand.kind, text))
        depth = operand.depth + 1
        return self.count(Unary(token.start, operand.end, "-", operand, depth=depth))

    def parse_primary(self) -> Node:
        token = self.tokens[self.index]
        kind, word = token.kind, token.word
        if kind == "name" and word not in _RESERVED:
            if self.tokens[self.index + 1].word == "(":
                node = self.parse_call()
            else:
                self.index += 1
                node = self.count(Name(token.start, token.end, word))
        elif kind == "number":
            self.index += 1
            kind, value = token.value
            node = self.count(Literal(token.start, token.end, value, kind, token.text))
        elif kind == "string":
            self.index += 1
            node = self.count(Literal(token.start, token.end, token.value, "string", token.text))
        elif word == "true" or word == "false":
            self.index += 1
            value = word == "true"
            node = self.count(Literal(token.start, token.end, value, "boolean", token.text))
        elif word == "(":
            node = self.parse_group()
        elif word == "[":
            node = self.parse_list()
        else:
            raise self.unexpected(token, "expected a value")
        following = self.tokens[self.index]
        if following.kind == "op" and following.text in ("[", ".", "("):
            what = {"[": "indexing", ".": "attribute access", "(": "calling a value"}
            raise RuleSyntaxError(
                f"{what[following.text]} is not part of the rule language",
                span=(following.start, following.end),
            )
        return node

    def parse_group(self) -> Node:
        opening = self.advance()
        self.nested(opening)
        if self.at(")"):
            raise RuleSyntaxError("empty parentheses", span=(opening.start, self.peek().end))
        inner = self.parse_or()
        closing = self.expect(")", "to close the `(`")
        self.depth -= 1
        inner.start, inner.end = opening.start, closing.end  # errors underline the parentheses
        return inner

    def parse_list(self) -> Node:
        opening = self.advance()
        self.nested(opening)
        items: list[Literal] = []
        while not self.at("]"):
            item = self.parse_sum()
            if self.at("for", "if"):
                raise RuleSyntaxError(
                    "comprehensions are not part of the rule language",
                    span=(self.peek().start, self.peek().end),
                )
            if not isinstance(item, Literal) or item.kind == "boolean":
                raise RuleSyntaxError(
                    'list items are plain values such as "gold", 5 or 90%',
                    span=(item.start, item.end),
                )
            items.append(item)
            if len(items) > MAX_LIST:
                raise RuleLimitError(
                    f"lists are limited to {MAX_LIST} items", span=(item.start, item.end)
                )
            if not self.at("]"):
                self.expect(",", "between list items")
        closing = self.advance()
        self.depth -= 1
        depth = 2 if items else 1
        return self.count(ListLit(opening.start, closing.end, items, depth=depth))

    def parse_call(self) -> Node:
        token = self.advance()
        if token.text not in FUNCTIONS:
            hint = "method calls are" if "." in token.text else f"`{token.text}` is"
            raise RuleSyntaxError(
                f"{hint} not allowed; the functions are {', '.join(FUNCTIONS)}",
                span=(token.start, token.end),
            )
        self.nested(self.advance())
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.parse_or())
            if len(args) > MAX_ARGS:
                raise RuleLimitError(
                    f"functions take at most {MAX_ARGS} arguments", span=(token.start, args[-1].end)
                )
            if not self.at(")"):
                self.expect(",", "between arguments")
        closing = self.advance()
        self.depth -= 1
        if token.text in ("date", "datetime"):
            return self.date_literal(token, args, closing.end)
        depth = max([0, *(arg.depth for arg in args)]) + 1
        return self.count(Call(token.start, closing.end, token.text, args, depth=depth))

    def date_literal(self, token: Token, args: list[Node], end: int) -> Node:
        arg = args[0] if len(args) == 1 else None
        if not (isinstance(arg, Literal) and arg.kind == "string"):
            raise RuleSyntaxError(
                f'`{token.text}()` takes one quoted value, e.g. {token.text}("2025-03-01")',
                span=(token.start, end),
            )
        try:
            if token.text == "date":
                value: Any = dt.date.fromisoformat(arg.value)
            else:
                value = dt.datetime.fromisoformat(arg.value)
                if value.tzinfo is not None:
                    raise ValueError("local times only")
        except ValueError:
            raise RuleSyntaxError(
                f"`{arg.value}` is not an ISO {token.text} (YYYY-MM-DD"
                + ("" if token.text == "date" else "THH:MM[:SS], local time without a zone")
                + ")",
                span=(arg.start, arg.end),
            ) from None
        text = self.text[token.start : end]
        return self.count(Literal(token.start, end, value, token.text, text))


def parse(text: str) -> Node:
    """Parse a condition into a tree (not yet type-checked)."""
    if not text.strip():
        raise RuleSyntaxError("the condition is empty", span=(0, max(1, len(text))))
    return Parser(text).parse()
