"""Compiling checked conditions into one fast Python function per pack.

Why this is safe: the generated source is assembled only from (a) fixed operator and helper
spellings chosen here, (b) local variable names we number ourselves (`v0`, `_c3`), (c) fact names
that passed the vocabulary's lowercase-dotted check, emitted with `repr`, and (d) numbers emitted
with `repr` after checking they are plain `int`/`float`. Every other literal (strings, decimals,
dates, sets) is passed in as a bound default argument, never spelled into the source. No rule text
reaches `compile()`.

Missing values use three-valued logic: every boolean node is compiled twice, as "is certainly
true" (T) and "is certainly false" (F); `not` swaps them. A rule fires when T holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .syntax import Binary, Call, ListLit, Literal, Name, Node, Test, Unary

NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
FLOAT_KINDS = ("number", "percent")


def to_decimal(value: Any) -> Decimal:
    """Money arithmetic: a float joins exactly as its shortest decimal spelling (0.1 -> 0.1)."""
    if value.__class__ is float:
        return Decimal(repr(value))
    return Decimal(value)


def _floor(value: Any) -> int:
    return math.floor(value)


def _ceil(value: Any) -> int:
    return math.ceil(value)


def plain_number(value: Decimal, text: str) -> int | float:
    """A number literal outside money: an int when written without a point, else a float."""
    if value == value.to_integral_value() and "." not in text:
        return int(value)
    return float(value)


def literal_value(node: Literal, exact: bool) -> Any:
    """The run-time value of a literal: Decimal where money is involved, else int/float."""
    if node.kind in ("number", "percent", "money"):
        if exact:
            return Decimal(node.value)
        if node.kind == "percent":
            return float(node.value)
        return plain_number(node.value, node.text)
    return node.value


def join(terms: Sequence[str]) -> str:
    unique = list(dict.fromkeys(t for t in terms if t != "True"))
    if "False" in unique:
        return "False"
    return " and ".join(unique) if unique else "True"


class Emitter:
    """Turns checked trees into Python expression text, collecting variables and constants."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.constants: dict[str, Any] = {"_dec": to_decimal, "_floor": _floor, "_ceil": _ceil}
        self._keys: dict[tuple[type, Any], str] = {}

    def var(self, name: str, kind: str) -> str:
        if name not in self.variables:
            self.variables[name] = f"v{len(self.variables)}"
            self.kinds[name] = kind
        return self.variables[name]

    def const(self, value: Any) -> str:
        key = (type(value), value)
        if key not in self._keys:
            name = f"_c{len(self._keys)}"
            self._keys[key] = name
            self.constants[name] = value
        return self._keys[key]

    def number(self, value: Any) -> str:
        if type(value) not in (int, float) or not math.isfinite(value):
            raise ValueError(f"not a plain number: {value!r}")  # never reached for checked trees
        return repr(value)

    # -- values: (guards that must all hold for the value to be present, the expression) --------
    def value(self, node: Node, exact: bool) -> tuple[list[str], str]:
        exact = exact or node.exact
        if isinstance(node, Literal):
            return [], self.literal(node, exact)
        if isinstance(node, Name):
            var = self.var(node.name, node.type.kind)
            if exact and node.type.kind in FLOAT_KINDS:
                return [f"{var} is not None"], f"_dec({var})"
            return [f"{var} is not None"], var
        if isinstance(node, Unary):
            guards, expr = self.value(node.operand, exact)
            return guards, f"(-{expr})"
        if isinstance(node, Binary):
            left_guards, left = self.value(node.left, exact)
            right_guards, right = self.value(node.right, exact)
            guards = left_guards + right_guards + ([right] if node.op == "/" else [])
            return guards, f"({left} {node.op} {right})"
        if isinstance(node, Call):
            return self.call(node, exact)
        if isinstance(node, ListLit):
            return [], self.const(tuple(literal_value(item, exact) for item in node.items))
        raise TypeError(f"not a value: {type(node).__name__}")  # checked trees never get here

    def literal(self, node: Literal, exact: bool) -> str:
        value = literal_value(node, exact)
        if type(value) in (int, float):
            return self.number(value)
        if type(value) is bool:
            return repr(value)
        return self.const(value)

    def call(self, node: Call, exact: bool) -> tuple[list[str], str]:
        func = node.func
        if func == "coalesce":
            parts = [self.value(arg, exact) for arg in node.args]
            expr = parts[-1][1]
            for guards, arg in reversed(parts[:-1]):
                expr = f"({arg} if {join(guards)} else {expr})"
            present = " or ".join(f"({join(guards)})" for guards, _ in parts)
            return [f"({present})"], expr
        if func == "overlaps":
            (ga, a), (gb, b) = (self.value(arg, exact) for arg in node.args)
            return ga + gb, f"(not {{*{a}}}.isdisjoint({b}))"
        args = [self.value(arg, exact) for arg in node.args]
        guards = [g for arg_guards, _ in args for g in arg_guards]
        exprs = [expr for _, expr in args]
        if func in ("days_since", "days_until", "hours_since", "hours_until", "today"):
            now = self.var("now", "datetime")
            guards.append(f"{now} is not None")
            return guards, self.time_call(node, now, exprs)
        simple = {
            "min": "min",
            "max": "max",
            "abs": "abs",
            "round": "round",
            "len": "len",
            "floor": "_floor",
            "ceil": "_ceil",
        }
        if func in simple:
            if func == "round" and len(node.args) == 2:
                exprs[1] = self.number(int(node.args[1].value))
            return guards, f"{simple[func]}({', '.join(exprs)})"
        return guards, f"{exprs[0]}.{func}()"  # lower, upper

    def time_call(self, node: Call, now: str, exprs: list[str]) -> str:
        if node.func == "today":
            return f"{now}.date()"
        arg = exprs[0]
        day = f"{arg}.date()" if node.args[0].type.kind == "datetime" else arg
        if node.func == "days_since":
            return f"({now}.date() - {day}).days"
        if node.func == "days_until":
            return f"({day} - {now}.date()).days"
        if node.func == "hours_since":
            return f"(({now} - {arg}).total_seconds() / 3600)"
        return f"(({arg} - {now}).total_seconds() / 3600)"

    # -- conditions ----------
    def truth(self, node: Node, want: bool = True) -> str:
        """Python text that is truthy exactly when `node` is certainly `want` (True or False)."""
        if isinstance(node, Literal):
            return "True" if node.value == want else "False"
        if isinstance(node, Unary):  # not
            return self.truth(node.operand, not want)
        if isinstance(node, Binary) and node.op in ("and", "or"):
            both = (node.op == "and") == want
            left, right = self.truth(node.left, want), self.truth(node.right, want)
            return f"({left} {'and' if both else 'or'} {right})"
        if isinstance(node, Binary):
            return self.comparison(node, want)
        if isinstance(node, Test):
            return self.test(node, want != node.negated)
        guards, expr = self.value(node, False)  # a boolean fact or overlaps()
        if isinstance(node, Name):
            return f"{expr} is {want}"
        return join([*guards, expr if want else f"not {expr}"])

    def comparison(self, node: Binary, want: bool) -> str:
        ty = node.left.type if node.left.type.kind == "enum" else node.right.type
        if ty.kind == "enum" and node.op not in ("==", "!="):
            return self.enum_order(node, ty, want)
        left_guards, left = self.value(node.left, node.exact)
        right_guards, right = self.value(node.right, node.exact)
        op = node.op if want else NEGATE[node.op]
        guards = left_guards + right_guards
        if op == "==" and _droppable(left_guards + right_guards, left, right):
            guards = []  # None == literal is already False
        return join([*guards, f"{left} {op} {right}"])

    def enum_order(self, node: Binary, ty: Any, want: bool) -> str:
        subject, literal, op = node.left, node.right, node.op
        if isinstance(subject, Literal):  # "gold" < guest.tier  ->  guest.tier > "gold"
            subject, literal = node.right, node.left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        rank = {value: index for index, value in enumerate(ty.values)}
        chosen = {v for v in ty.values if COMPARE[op](rank[v], rank[literal.value])}
        if not want:
            chosen = set(ty.values) - chosen
        guards, expr = self.value(subject, False)
        return join([*guards, f"{expr} in {self.const(frozenset(chosen))}"])

    def test(self, node: Test, want: bool) -> str:
        if node.op == "missing":
            guards, _ = self.value(node.subject, False)
            present = join(guards)
            return (f"not ({present})" if present != "True" else "False") if want else present
        if node.op == "between":
            guards, x = self.value(node.subject, node.exact)
            low_guards, low = self.value(node.args[0], node.exact)
            high_guards, high = self.value(node.args[1], node.exact)
            inside = f"{low} <= {x} <= {high}" if want else f"({x} < {low} or {x} > {high})"
            return join([*guards, *low_guards, *high_guards, inside])
        if node.op == "in" and isinstance(node.args[0], ListLit):
            guards, x = self.value(node.subject, node.exact)
            items = frozenset(literal_value(i, node.exact) for i in node.args[0].items)
            members = self.const(items)
            if want and guards == [f"{x} is not None"]:
                return f"{x} in {members}"  # None is in no list
            return join([*guards, f"{x} {'in' if want else 'not in'} {members}"])
        if node.op in ("in", "contains"):
            container, item = (
                (node.args[0], node.subject) if node.op == "in" else (node.subject, node.args[0])
            )
            container_guards, c = self.value(container, False)
            item_guards, i = self.value(item, False)
            return join([*container_guards, *item_guards, f"{i} {'in' if want else 'not in'} {c}"])
        subject_guards, s = self.value(node.subject, False)
        arg_guards, a = self.value(node.args[0], False)
        call = f"{s}.{node.op}({a})"
        return join([*subject_guards, *arg_guards, call if want else f"not {call}"])


def _droppable(guards: list[str], left: str, right: str) -> bool:
    """`v == literal` needs no `v is not None` guard: None equals no literal."""
    return guards in ([f"{left} is not None"], [f"{right} is not None"])


Window = tuple[Any, Any]  # (first day, last day) of a validity window; either may be None


def compile_matcher(
    conditions: Sequence[tuple[int, Node, Window | None]], first_only: bool
) -> Callable[[Any], list[int]]:
    """One function `match(facts) -> [rule index, ...]` for (index, checked tree, window)."""
    emitter = Emitter()
    tests = []
    for index, tree, window in conditions:
        test = emitter.truth(tree)
        if window is not None:
            now = emitter.var("now", "datetime")
            bounds = [f"{emitter.const(window[0])} <= {now}.date()"] if window[0] else []
            bounds += [f"{now}.date() <= {emitter.const(window[1])}"] if window[1] else []
            test = join([test, f"{now} is not None", *bounds])
        tests.append((index, test))
    lines = ["def match(facts, " + ", ".join(f"{n}={n}" for n in emitter.constants) + "):"]
    lines.append("    _get = facts.get")
    for name, var in emitter.variables.items():
        lines.append(f"    {var} = _get({name!r})")
        if emitter.kinds[name] == "money":
            lines.append(f"    if {var}.__class__ is float: {var} = _dec({var})")
    lines.append("    fired = []")
    lines.append("    fire = fired.append")
    for index, test in tests:
        body = f"return [{index}]" if first_only else f"fire({index})"
        lines.append(f"    if {test}: {body}")
    lines.append("    return fired")
    source = "\n".join(lines)
    namespace = dict(emitter.constants)
    exec(compile(source, "<guidance_rules pack>", "exec"), namespace)
    match = namespace["match"]
    match.source = source
    return match
