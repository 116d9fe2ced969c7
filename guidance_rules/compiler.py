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

import datetime as dt
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .syntax import Binary, Call, ListLit, Literal, Name, Node, Test, Unary
from .values import FactProblems, cleaner, money_reader

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
        self.values: dict[str, tuple[str, ...]] = {}  # enum values of enum facts
        self.constants: dict[str, Any] = {
            "_dec": to_decimal,
            "_int_float": frozenset((int, float)),
            "_floor": _floor,
            "_ceil": _ceil,
            "_Decimal": Decimal,
            "_date": dt.date,
            "_datetime": dt.datetime,
            "_timedelta": dt.timedelta,
        }
        self._keys: dict[tuple[type, Any], str] = {}

    def var(self, name: str, kind: str, values: tuple[str, ...] = ()) -> str:
        if name not in self.variables:
            self.variables[name] = f"v{len(self.variables)}"
            self.kinds[name] = kind
            self.values[name] = values
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
            var = self.var(node.name, node.type.kind, node.type.values)
            if exact and node.type.kind in FLOAT_KINDS:
                return [f"{var} is not None"], f"_dec({var})"
            if node.type.kind == "money":  # a float becomes a Decimal once, when first needed
                return [
                    f"{var} is not None"
                ], f"({var} if {var}.__class__ is not float else ({var} := _dec({var})))"
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
        op = node.op if want else NEGATE[node.op]
        fast = self.money_compare(node.left, op, node.right)
        if fast is not None:
            return join([*fast[0], fast[1]])
        left_guards, left = self.value(node.left, node.exact)
        right_guards, right = self.value(node.right, node.exact)
        guards = left_guards + right_guards
        if op == "==" and _droppable(left_guards + right_guards, left, right):
            guards = []  # None == literal is already False
        exact = f"{left} {op} {right}"
        filtered = self.money_filter(node, op, exact)
        return join([*guards, filtered or exact])

    def money_filter(self, node: Binary, op: str, exact: str) -> str | None:
        """Money arithmetic on floats decided in floats when the answer is certain, else exactly.

        For `quote.rate * 1.3 >= price.stretch` with float facts, t = 1.3*rate - stretch is
        computed in floats, and m bounds |t - exact value| (each float is within half an ulp of
        its shortest decimal, each literal of its float, each operation rounds once: all relative
        errors of at most 2**-53 of the terms' magnitudes, summed generously in `eps`). When
        |t| > m the sign of t is the sign of the exact difference; otherwise (and for NaN or
        overflow) the Decimal comparison decides. docs/rules.md, "Why float money is exact".
        The exact comparison is spelled once, which keeps the source to compile short.
        """
        if not node.exact:
            return None
        terms: list[tuple[Decimal, str | None]] = []
        if not (
            self.linear(node.left, Decimal(1), terms)
            and self.linear(node.right, Decimal(-1), terms)
        ):
            return None
        variables = [var for _, var in terms if var is not None]
        if not variables or len(terms) > 8:
            return None
        t, sizes = "", []
        for coefficient, var in terms:
            factor = float(coefficient)
            if not math.isfinite(factor):
                return None
            size = self.number(abs(factor))
            if var is None:
                term = size
            elif abs(factor) == 1:
                term = var
            else:
                term = f"{size} * {var}"
            # In binary floating point `a - b` is `a + -b` and `-b` is `-1 * b`, to the last bit.
            if factor < 0:
                t += f" - {term}" if t else f"-{term}"
            else:
                t += f" + {term}" if t else term
            sizes.append(term if var is None else f"abs({term})")
        eps = self.number((len(terms) + 8) * 2.0**-52)
        m = f"({' + '.join(sizes)}) * {eps} + 1e-300"
        # When |t| > m its sign decides: > and >= hold when t > 0, < and <= when t < 0, == never.
        sure = {">": "_t > 0", ">=": "_t > 0", "<": "_t < 0", "<=": "_t < 0", "==": "False"}
        floats = " and ".join(f"{v}.__class__ is float" for v in dict.fromkeys(variables))
        return f"({sure.get(op, 'True')} if {floats} and abs(_t := {t}) > {m} else {exact})"

    def linear(self, node: Node, scale: Decimal, terms: list[tuple[Decimal, str | None]]) -> bool:
        """Add `scale * node` to terms when node is money made of facts, literals, + - and
        multiplication by a literal; False for anything else."""
        if isinstance(node, Name):
            if node.type.kind != "money":
                return False
            terms.append((scale, self.var(node.name, "money")))
            return True
        if isinstance(node, Literal):
            if node.kind not in ("money", "number", "percent"):
                return False
            terms.append((scale * Decimal(node.value), None))
            return True
        if isinstance(node, Unary) and node.op == "-":
            return self.linear(node.operand, -scale, terms)
        if isinstance(node, Binary) and node.op in "+-":
            sign = Decimal(1) if node.op == "+" else Decimal(-1)
            return self.linear(node.left, scale, terms) and self.linear(
                node.right, scale * sign, terms
            )
        if isinstance(node, Binary) and node.op == "*":
            for factor, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(factor, Literal) and factor.kind in ("number", "percent"):
                    return self.linear(other, scale * Decimal(factor.value), terms)
        return False

    def money_compare(self, left: Node, op: str, right: Node) -> tuple[list[str], str] | None:
        """A comparison of a money fact with a literal or another money fact, without turning a
        float into a Decimal unless it has to (docs/rules.md, "Why float money compares fast").

        For a float x and a decimal c with nearest float cf: x != cf implies that
        Decimal(repr(x)) compares with c as x compares with cf (rounding to the nearest float is
        monotone), so only x == cf needs the exact comparison; and when c is the shortest decimal
        of cf (as every literal of up to 15 digits is), x == cf means Decimal(repr(x)) == c, so
        floats decide that case too. Two floats compare as their shortest decimals do for the
        same reason.
        """
        if not (_plain_money(left) and _plain_money(right)):
            return None
        if isinstance(left, Literal) and isinstance(right, Literal):
            return None
        if isinstance(left, Name) and isinstance(right, Name):
            a = self.var(left.name, "money")
            b = self.var(right.name, "money")
            text = f"({a} {op} {b} if {a}.__class__ is {b}.__class__ else _dec({a}) {op} _dec({b}))"
            return [f"{a} is not None", f"{b} is not None"], text
        if isinstance(left, Name):
            var, literal, flipped = self.var(left.name, "money"), right, False
        else:
            var, literal, flipped = self.var(right.name, "money"), left, True
        exact = Decimal(literal.value)
        nearest = float(exact)
        if not math.isfinite(nearest):
            return None
        c, cf = self.const(exact), self.number(nearest)

        def cmp(x: str, y: str) -> str:
            return f"{y} {op} {x}" if flipped else f"{x} {op} {y}"

        if to_decimal(nearest) == exact:  # the literal is the shortest decimal of its float
            text = f"({cmp(var, cf)} if {var}.__class__ is float else {cmp(var, c)})"
            return [f"{var} is not None"], text
        text = (
            f"({cmp(var, c)} if {var}.__class__ is not float else {cmp(var, cf)} "
            f"if {var} != {cf} else {cmp(f'_dec({var})', c)})"
        )
        return [f"{var} is not None"], text

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
            low_test = self.money_compare(node.args[0], "<=" if want else ">", node.subject)
            high_test = self.money_compare(node.subject, "<=" if want else ">", node.args[1])
            if low_test is not None and high_test is not None:
                if want:
                    return join([*low_test[0], *high_test[0], low_test[1], high_test[1]])
                return join([*low_test[0], *high_test[0], f"({low_test[1]} or {high_test[1]})"])
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


def _plain_money(node: Node) -> bool:
    """A money fact, or a literal compared with money (a Decimal at run time)."""
    if isinstance(node, Name):
        return node.type.kind == "money"
    return isinstance(node, Literal) and node.kind in ("money", "number")


def _droppable(guards: list[str], left: str, right: str) -> bool:
    """`v == literal` needs no `v is not None` guard: None equals no literal."""
    return guards in ([f"{left} is not None"], [f"{right} is not None"])


Window = tuple[Any, Any]  # (first day, last day) of a validity window; either may be None


def compile_matcher(
    conditions: Sequence[tuple[int, Node, Window | None]],
    first_only: bool,
    problems: FactProblems | None = None,
) -> Callable[[Any], list[int]]:
    """One function `match(facts) -> [rule index, ...]` for (index, checked tree, window).

    Every fact the conditions read is checked against its type first (`values.clean`): a value
    that does not fit is missing, and counted in `problems` when given."""
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
    checks = []
    for name, var in emitter.variables.items():
        kind = emitter.kinds[name]
        fix_function = cleaner(kind, emitter.values[name], name, problems)
        fix = emitter.const(fix_function)
        members = emitter.const(frozenset(emitter.values[name])) if kind == "enum" else ""
        unfit = f"    if ({var} := _get({name!r})) is not None and {_unfit(kind, var, members)}: "
        if kind == "money":  # text as integrations send it: read as a Decimal straight away
            text = emitter.const(money_reader(fix_function))
            checks.append(
                f"{unfit}{var} = {text}({var}) if {var}.__class__ is str else {fix}({var})"
            )
        else:
            checks.append(f"{unfit}{var} = {fix}({var})")
    # The constants are bound below as the defaults of the parameters after `facts` (fast local
    # names); setting __defaults__ compiles faster than spelling `_c0=_c0, ...` in the source.
    lines = ["def match(facts, " + ", ".join(emitter.constants) + "):"]
    lines.append("    _get = facts.get")
    lines.extend(checks)
    lines.append("    fired = []")
    lines.append("    fire = fired.append")
    for index, test in tests:
        body = f"return [{index}]" if first_only else f"fire({index})"
        lines.append(f"    if {test}: {body}")
    lines.append("    return fired")
    source = "\n".join(lines)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<guidance_rules pack>", "exec"), namespace)
    match = namespace["match"]
    match.__defaults__ = tuple(emitter.constants.values())
    match.source = source
    return match


def _unfit(kind: str, var: str, members: str) -> str:
    """Python text true when a present value may not fit its type: then the slow check runs.

    It must let through only values that `values.clean` returns unchanged (property-tested)."""
    if kind in FLOAT_KINDS:  # an int, or a float whose difference with itself is 0 (not NaN)
        return f"({var}.__class__ not in _int_float or {var} - {var})"
    if kind == "integer":
        return f"{var}.__class__ is not int"
    if kind == "money":
        return (
            f"not (({var}.__class__ is float and not {var} - {var}) or {var}.__class__ is int "
            f"or ({var}.__class__ is _Decimal and {var}.is_finite()))"
        )
    if kind == "string":
        return f"{var}.__class__ is not str"
    if kind == "enum":
        return f"({var}.__class__ is not str or {var} not in {members})"
    if kind == "boolean":
        return f"{var} is not True and {var} is not False"
    if kind in _EXACT_CLASSES:
        return f"{var}.__class__ is not {_EXACT_CLASSES[kind]}"
    return "True"  # lists: every item is checked


_EXACT_CLASSES = {"date": "_date", "datetime": "_datetime", "duration": "_timedelta"}
