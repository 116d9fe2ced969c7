"""Type-checking a parsed condition against the vocabulary, once, when a pack is loaded.

Every node gets a `Ty`; every numeric node also gets `exact` (its value is a Decimal because money
flows into it), which decides how the compilers emit literals. Money carries its unit from the
vocabulary (USD, USD/kg) so that a rate is never compared with, or added to, a total. See
docs/rules.md, "Types".
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import RuleError, RuleTypeError, UnknownFactError, did_you_mean
from .syntax import Binary, Call, ListLit, Literal, Name, Node, Test, Unary
from .vocabulary import Vocabulary

NUMERIC = {"number", "integer", "numlit", "money", "percent"}
TIMES = {"date", "datetime"}
ORDERED = NUMERIC | TIMES | {"duration"}
VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


class Ty(NamedTuple):
    """The type of an expression; `numlit` is a bare number that adopts its partner's type.

    A named tuple rather than a frozen dataclass: every node of every condition gets one when a
    pack loads, and a tuple is built about three times faster."""

    kind: str
    values: tuple[str, ...] = ()  # enum values
    ordered: bool = False
    fact: str = ""  # the enum's fact, for messages
    elem: str = ""  # a list literal's item kind
    unit: str | None = None  # a fact's unit (USD, USD/kg, kg); None for literals

    @property
    def label(self) -> str:
        return "number" if self.kind == "numlit" else self.kind


def _labels(a: Ty, b: Ty) -> tuple[str, str]:
    """How messages name two types: money shows its unit when the units are what differs."""
    if a.kind == b.kind == "money" and a.unit and b.unit and a.unit != b.unit:
        return f"money in {a.unit}", f"money in {b.unit}"
    return a.label, b.label


BOOL = Ty("boolean")
NUMLIT = Ty("numlit")


class Checker:
    """Walks a tree once, annotating types and collecting the facts it reads."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.facts: list[str] = []

    def fail(self, node: Node, message: str, cls: type[RuleError] = RuleTypeError) -> RuleError:
        return cls(message, span=(node.start, node.end))

    def condition(self, node: Node) -> Node:
        ty = self.check(node)
        self.need_condition(node, ty)
        return node

    def need_condition(self, node: Node, ty: Ty) -> None:
        if ty.kind != "boolean":
            example = ' == "gold"' if ty.kind == "enum" else " > 0"
            what = f"`{node.name}` is" if isinstance(node, Name) else "this is"
            article = "an" if ty.label[:1] in "aeiou" else "a"
            raise self.fail(
                node,
                f"{what} {article} {ty.label}, not a condition; compare it, e.g. `...{example}`",
            )

    def check(self, node: Node) -> Ty:
        node.type = ty = _CHECKS[node.__class__](self, node)
        return ty

    # -- leaves ----------
    def check_literal(self, node: Literal) -> Ty:
        node.exact = node.kind == "money"
        return _LITERAL_TYPES[node.kind]

    def check_listlit(self, node: ListLit) -> Ty:
        kinds = {self.check(item).kind for item in node.items}
        if len(kinds) > 1:
            raise self.fail(node, "list items must all be of one type")
        return Ty("list", elem=kinds.pop() if kinds else "string")

    def check_name(self, node: Name) -> Ty:
        fact = self.vocabulary.facts.get(node.name)
        if fact is None:
            message = f"unknown fact `{node.name}`{did_you_mean(node.name, self.vocabulary.facts)}"
            raise self.fail(node, message, UnknownFactError)
        if node.name not in self.facts:
            self.facts.append(node.name)
        node.exact = fact.type == "money"
        return Ty(fact.type, fact.values, fact.ordered, fact.name, unit=fact.unit)

    # -- operators ----------
    def check_unary(self, node: Unary) -> Ty:
        ty = self.check(node.operand)
        if node.op == "not":
            self.need_condition(node.operand, ty)
            return BOOL
        if ty.kind not in NUMERIC | {"duration"}:
            raise self.fail(node, f"cannot negate a {ty.label}")
        node.exact = node.operand.exact
        return ty

    def check_binary(self, node: Binary) -> Ty:
        left, right = self.check(node.left), self.check(node.right)
        if node.op in ("and", "or"):
            self.need_condition(node.left, left)
            self.need_condition(node.right, right)
            return BOOL
        if node.op in VERBS:
            ty = arithmetic(node.op, left, right)
            if ty is None:
                if node.op in "*/":  # money times money is wrong whatever the units
                    message = f"cannot {VERBS[node.op]} {left.label} by {right.label}"
                    raise self.fail(node, message)
                first, second = _labels(left, right)
                message = f"cannot {VERBS[node.op]} {first} and {second}"
                raise self.fail(node, message + _unit_hint(left, right))
            node.exact = ty.kind == "money" or node.left.exact or node.right.exact
            return ty
        self.comparable(node, node.left, node.right, ordering=node.op not in ("==", "!="))
        return BOOL

    def comparable(self, node: Node, left: Node, right: Node, ordering: bool) -> Ty:
        """The common type two sides are compared in; raises the analyst's error otherwise."""
        a, b = left.type, right.type
        ty = common(a, b)
        if ty is None and {a.kind, b.kind} == {"percent", "numlit"} and _is_zero(left, right):
            ty = Ty("percent")
        if ty is None:
            hint = _percent_hint(a, b) + _unit_hint(a, b)
            raise self.fail(node, "cannot compare {} with {}".format(*_labels(a, b)) + hint)
        for enum, other in ((a, right), (b, left)):
            if enum.kind == "enum" and isinstance(other, Literal):
                self.enum_value(enum, other)
        if ordering and ty.kind not in ORDERED:
            if (
                ty.kind == "enum"
                and ty.ordered
                and (isinstance(left, Literal) or isinstance(right, Literal))
            ):
                return ty
            if ty.kind == "enum" and ty.ordered:
                raise self.fail(node, f'order `{ty.fact}` against a quoted value, e.g. >= "gold"')
            raise self.fail(node, f"cannot order {ty.label} values; use == or !=")
        node.exact = left.exact or right.exact
        return ty

    def enum_value(self, enum: Ty, literal: Literal) -> None:
        if literal.kind == "string" and literal.value not in enum.values:
            raise self.fail(
                literal,
                f"`{literal.value}` is not a value of `{enum.fact}` ({', '.join(enum.values)})"
                + did_you_mean(literal.value, enum.values),
            )

    def check_test(self, node: Test) -> Ty:
        subject = self.check(node.subject)
        args = [self.check(arg) for arg in node.args]
        if node.op == "missing":
            return BOOL
        if node.op == "between":
            if subject.kind not in ORDERED:
                raise self.fail(node, "`between` works on numbers, money, dates and durations")
            self.comparable(node, node.subject, node.args[0], ordering=True)
            self.comparable(node, node.subject, node.args[1], ordering=True)
            node.exact = any(n.exact for n in (node.subject, *node.args))
            return BOOL
        if node.op == "in":
            return self.check_in(node, subject, node.args[0], args[0])
        if node.op == "contains" and subject.kind == "list":
            self.need_text(node.args[0], args[0], "a list contains")
            return BOOL
        self.need_text(node.subject, subject, f"`{node.op}` works on")
        self.need_text(node.args[0], args[0], f"`{node.op}` looks for")
        return BOOL

    def check_in(self, node: Test, item: Ty, container_node: Node, container: Ty) -> Ty:
        if container.kind != "list":
            raise self.fail(container_node, f"`in` needs a list, not a {container.label}")
        if not isinstance(container_node, ListLit):  # a list fact holds strings
            self.need_text(node.subject, item, "a list fact holds")
            return BOOL
        if not container_node.items:
            return BOOL
        probe = Ty(container.elem) if container.elem != "number" else NUMLIT
        if common(item, probe) is None:
            raise self.fail(
                node,
                f"cannot compare {item.label} with {probe.label}" + _percent_hint(item, probe),
            )
        if item.kind == "enum":
            for literal in container_node.items:
                self.enum_value(item, literal)
        node.exact = node.subject.exact
        return BOOL

    def need_text(self, node: Node, ty: Ty, what: str) -> None:
        if ty.kind not in ("string", "enum"):
            raise self.fail(node, f"{what} strings, not a {ty.label}")

    # -- functions ----------
    def check_call(self, node: Call) -> Ty:
        args = [self.check(arg) for arg in node.args]
        kinds = [a.kind for a in args]
        rule = SIGNATURES[node.func]
        low, high = rule[0], rule[1]
        if not low <= len(args) <= high:
            count = f"{low}" if low == high else f"{low} to {high}"
            raise self.fail(node, f"`{node.func}()` takes {count} arguments, not {len(args)}")
        ty = getattr(self, "call_" + node.func, self.call_simple)(node, args, kinds)
        node.exact = any(arg.exact for arg in node.args) and ty.kind in NUMERIC
        return ty

    def call_simple(self, node: Call, args: list[Ty], kinds: list[str]) -> Ty:
        wanted, result = SIGNATURES[node.func][2], SIGNATURES[node.func][3]
        for arg, kind in zip(node.args, kinds, strict=True):
            if kind not in wanted:
                raise self.fail(
                    arg, f"`{node.func}()` takes {' or '.join(sorted(wanted))}, not {kind}"
                )
        if result == "same":
            return args[0] if args[0].kind != "enum" else Ty("string")
        if node.func in ("days_since", "days_until", "hours_since", "hours_until", "today"):
            self.check_now(node)
        return Ty(result)

    def check_now(self, node: Node) -> None:
        if "now" not in self.vocabulary or self.vocabulary["now"].type != "datetime":
            raise self.fail(node, "date functions need a datetime fact `now` in the vocabulary")
        if "now" not in self.facts:
            self.facts.append("now")

    def call_min(self, node: Call, args: list[Ty], kinds: list[str]) -> Ty:
        ty = args[0]
        for arg_node, arg in zip(node.args[1:], args[1:], strict=True):
            merged = common(ty, arg)
            if merged is None or merged.kind not in ORDERED:
                first, second = _labels(ty, arg)
                raise self.fail(arg_node, f"`{node.func}()` cannot mix {first} and {second}")
            ty = merged
        if ty.kind not in ORDERED:
            raise self.fail(node, f"`{node.func}()` works on numbers, money, dates or durations")
        return ty

    call_max = call_min

    def call_coalesce(self, node: Call, args: list[Ty], kinds: list[str]) -> Ty:
        ty = args[0]
        for arg_node, arg in zip(node.args[1:], args[1:], strict=True):
            merged = common(ty, arg)
            if merged is None:
                first, second = _labels(ty, arg)
                raise self.fail(arg_node, f"`coalesce()` cannot mix {first} and {second}")
            ty = merged
        if ty.kind in ("list", "boolean"):
            raise self.fail(node, "`coalesce()` works on values, not lists or conditions")
        return ty

    def call_round(self, node: Call, args: list[Ty], kinds: list[str]) -> Ty:
        if kinds[0] not in ("number", "integer", "numlit", "money"):
            raise self.fail(node.args[0], f"`round()` takes a number or money, not {kinds[0]}")
        if len(args) == 2:
            digits = node.args[1]
            if not (
                isinstance(digits, Literal)
                and digits.kind == "number"
                and digits.value == int(digits.value)
                and 0 <= digits.value <= 6
            ):
                raise self.fail(digits, "`round()` digits are a whole number from 0 to 6")
        if kinds[0] == "money":
            return args[0]
        return Ty("integer") if len(args) == 1 else Ty("number")

    def call_overlaps(self, node: Call, args: list[Ty], kinds: list[str]) -> Ty:
        for arg_node, arg in zip(node.args, args, strict=True):
            if arg.kind != "list" or (isinstance(arg_node, ListLit) and arg.elem != "string"):
                raise self.fail(arg_node, "`overlaps()` takes two lists of strings")
        return BOOL


_CHECKS = {
    Literal: Checker.check_literal,
    ListLit: Checker.check_listlit,
    Name: Checker.check_name,
    Unary: Checker.check_unary,
    Binary: Checker.check_binary,
    Test: Checker.check_test,
    Call: Checker.check_call,
}
_LITERAL_KINDS = ("percent", "money", "duration", "string", "boolean", "date", "datetime")
_LITERAL_TYPES = {"number": NUMLIT} | {kind: Ty(kind) for kind in _LITERAL_KINDS}

# name: (min args, max args, accepted kinds, result kind or "same")
SIGNATURES: dict[str, tuple[int, int, set[str], str]] = {
    "abs": (1, 1, {"number", "integer", "numlit", "money", "percent", "duration"}, "same"),
    "ceil": (1, 1, {"number", "integer", "numlit"}, "integer"),
    "floor": (1, 1, {"number", "integer", "numlit"}, "integer"),
    "coalesce": (2, 8, set(), "same"),
    "days_since": (1, 1, TIMES, "integer"),
    "days_until": (1, 1, TIMES, "integer"),
    "hours_since": (1, 1, {"datetime"}, "number"),
    "hours_until": (1, 1, {"datetime"}, "number"),
    "today": (0, 0, set(), "date"),
    "len": (1, 1, {"string", "list", "enum"}, "integer"),
    "lower": (1, 1, {"string", "enum"}, "same"),
    "upper": (1, 1, {"string", "enum"}, "same"),
    "max": (2, 8, set(), "same"),
    "min": (2, 8, set(), "same"),
    "overlaps": (2, 2, {"list"}, "boolean"),
    "round": (1, 2, set(), "same"),
}


def _is_zero(*nodes: Node) -> bool:
    return any(isinstance(n, Literal) and n.kind == "number" and n.value == 0 for n in nodes)


def _percent_hint(a: Ty, b: Ty) -> str:
    if {a.kind, b.kind} == {"percent", "numlit"}:
        return "; write percents with %, e.g. `90%` (0 is fine as is)"
    return ""


def _unit_hint(a: Ty, b: Ty) -> str:
    units = {a.unit, b.unit}
    if a.kind == b.kind == "money" and None not in units and len(units) == 2:
        rate = a.unit if "/" in (a.unit or "") else b.unit
        if rate and "/" in rate:
            per = rate.split("/", 1)[1]
            return f"; a {rate} rate times a quantity in {per} is a {rate.split('/')[0]} amount"
        return "; money facts in different units do not mix"
    return ""


def common(a: Ty, b: Ty) -> Ty | None:
    """The type two values are compared (or min/max/coalesce'd) in, or None if they don't mix."""
    if a.kind == b.kind:
        if a.kind == "money":
            return _same_money(a, b)
        if a.kind != "enum":
            return a
    kinds = {a.kind, b.kind}
    if kinds <= {"number", "integer", "numlit"}:
        return _numeric(a, b)
    if kinds == {"money", "numlit"}:
        return a if a.kind == "money" else b
    if kinds == {"enum"}:
        return a if a.values == b.values else None
    if kinds == {"enum", "string"}:
        return a if a.kind == "enum" else b
    return None


def _same_money(a: Ty, b: Ty) -> Ty | None:
    """Money in one unit (a literal takes its partner's), or None for USD against USD/kg."""
    if a.unit and b.unit and a.unit != b.unit:
        return None
    return Ty("money", unit=a.unit or b.unit)


def _money(unit: str | None) -> Ty:
    return Ty("money", unit=unit)


def _times(money: Ty, other: Ty) -> Ty:
    """Money scaled by a number: USD/kg times kg is USD, USD/kg times d is `USD/kg*d` (which
    matches nothing); a bare number or percent keeps the unit."""
    if not other.unit or not money.unit:
        return _money(money.unit or None)
    amount, _, per = money.unit.partition("/")
    return _money(amount if per == other.unit else f"{money.unit}*{other.unit}")


def _divided(money: Ty, other: Ty) -> Ty:
    """Money divided by a number: USD by kg is USD/kg; by a bare number it keeps its unit."""
    if not other.unit or not money.unit:
        return _money(money.unit or None)
    return _money(
        f"{money.unit}/{other.unit}" if "/" not in money.unit else f"({money.unit})/{other.unit}"
    )


def _numeric(a: Ty, b: Ty) -> Ty:
    """Plain numbers combined; a unit survives a bare number (`quote.chargeable_kg * 1` is kg).
    Units of numbers are carried for money's sake, not checked against each other."""
    kinds = {a.kind, b.kind}
    unit = a.unit if b.unit in (None, a.unit) else b.unit if a.unit is None else None
    if "integer" in kinds and kinds <= {"integer", "numlit"}:
        return Ty("integer", unit=unit)
    return Ty("number", unit=unit)


def arithmetic(op: str, a: Ty, b: Ty) -> Ty | None:
    """The result type of `a op b`, or None when the operation makes no sense."""
    x, y = a.kind, b.kind
    plain = {"number", "integer", "numlit"}
    if x == "numlit" and y == "numlit":
        return NUMLIT
    if op in "+-":
        if {x, y} <= plain:
            return _numeric(a, b)
        if {x, y} in ({"money"}, {"money", "numlit"}):
            return common(a, b)
        if {x, y} in ({"percent"}, {"percent", "numlit"}):
            return Ty("percent")
        if (x in TIMES and y == "duration") or (op == "+" and x == "duration" and y in TIMES):
            return a if x in TIMES else b
        if (op == "-" and x == y and x in TIMES) or x == y == "duration":
            return Ty("duration")
        return None
    if op == "*":
        if {x, y} <= plain:
            product = _numeric(a, b)
            return Ty(product.kind, unit=f"{a.unit}*{b.unit}") if a.unit and b.unit else product
        if "money" in (x, y) and {x, y} - {"money"} <= plain | {"percent"} and x != y:
            return _times(a, b) if x == "money" else _times(b, a)
        if {x, y} in ({"percent"}, {"percent", "numlit"}):
            return Ty("percent")
        if "percent" in (x, y) and {x, y} <= plain | {"percent"}:
            return Ty("number")
        return None
    if x == "money" and (y == "money"):
        return Ty("number")
    if x == "money" and y in plain | {"percent"}:
        return _divided(a, b)
    if x == "percent" and y == "numlit":
        return Ty("percent")
    if {x, y} <= plain:
        per = f"{a.unit or 1}/{b.unit}" if b.unit else a.unit
        return Ty("number", unit=per)
    if {x, y} <= plain | {"percent"} or x == y == "duration":
        return Ty("number")
    return None


def check(tree: Node, vocabulary: Vocabulary) -> tuple[Node, list[str]]:
    """Type-check a parsed condition; returns it with the facts it reads, in order of appearance."""
    checker = Checker(vocabulary)
    checker.condition(tree)
    return tree, checker.facts
