"""A plain tree-walking interpreter: the reference the compilers are tested against, and `explain`.

Values are Python values; `None` is missing, and so is a value that does not fit its fact's type
(`values.clean`). Conditions are True, False or None (unknown).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .compiler import COMPARE, literal_value, to_decimal
from .syntax import Binary, Call, ListLit, Literal, Name, Node, Test, Unary
from .values import clean


def condition(node: Node, facts: Mapping[str, Any]) -> bool | None:
    """True, False, or None when the facts don't decide it (Kleene three-valued logic)."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Unary):
        inner = condition(node.operand, facts)
        return None if inner is None else not inner
    if isinstance(node, Binary) and node.op in ("and", "or"):
        left, right = condition(node.left, facts), condition(node.right, facts)
        decisive = node.op == "or"  # True decides `or`, False decides `and`
        if decisive in (left, right):
            return decisive
        return None if None in (left, right) else not decisive
    if isinstance(node, Binary):
        return compare(node, facts)
    if isinstance(node, Test):
        result = test(node, facts)
        return None if result is None else result != node.negated
    result = value(node, facts, False)  # a boolean fact or overlaps(): only real booleans count
    return result if result is True or result is False else None


def compare(node: Binary, facts: Mapping[str, Any]) -> bool | None:
    left, right = value(node.left, facts, node.exact), value(node.right, facts, node.exact)
    if left is None or right is None:
        return None
    ty = node.left.type if node.left.type.kind == "enum" else node.right.type
    if ty.kind == "enum" and node.op not in ("==", "!="):
        if left not in ty.values or right not in ty.values:
            return None
        left, right = ty.values.index(left), ty.values.index(right)
    return COMPARE[node.op](left, right)


def test(node: Test, facts: Mapping[str, Any]) -> bool | None:
    if node.op == "missing":
        return value(node.subject, facts, False) is None
    subject = value(node.subject, facts, node.exact)
    args = [value(arg, facts, node.exact) for arg in node.args]
    if subject is None or None in args:
        return None
    if node.op == "between":
        return args[0] <= subject <= args[1]
    if node.op == "in":
        return subject in args[0]
    if node.op == "contains":
        return args[0] in subject
    return getattr(subject, node.op)(args[0])  # startswith / endswith, on strings only


def value(node: Node, facts: Mapping[str, Any], exact: bool) -> Any:
    """The value of an expression, or None when a fact it needs is missing."""
    exact = exact or node.exact
    if isinstance(node, Literal):
        return literal_value(node, exact)
    if isinstance(node, ListLit):
        return [literal_value(item, exact) for item in node.items]
    if isinstance(node, Name):
        kind = node.type.kind
        found, _ = clean(kind, node.type.values, facts.get(node.name))
        if found is not None and (kind == "money" or (exact and kind in _FLOATS)):
            return to_decimal(found)
        return found
    if isinstance(node, Unary):
        inner = value(node.operand, facts, exact)
        return None if inner is None else -inner
    if isinstance(node, Binary):
        left, right = value(node.left, facts, exact), value(node.right, facts, exact)
        if left is None or right is None or (node.op == "/" and not right):
            return None
        return _ARITHMETIC[node.op](left, right)
    if isinstance(node, Call):
        return call(node, facts, exact)
    raise TypeError(type(node).__name__)


_FLOATS = ("number", "percent")
_ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def call(node: Call, facts: Mapping[str, Any], exact: bool) -> Any:
    args = [value(arg, facts, exact) for arg in node.args]
    if node.func == "coalesce":
        return next((arg for arg in args if arg is not None), None)
    if any(arg is None for arg in args):
        return None
    if node.func in ("days_since", "days_until", "hours_since", "hours_until", "today"):
        now, _ = clean("datetime", (), facts.get("now"))
        return None if now is None else _time(node, now, args)
    if node.func == "overlaps":
        return bool(set(args[0]) & set(args[1]))
    if node.func == "round":
        return round(args[0], int(node.args[1].value)) if len(args) == 2 else round(args[0])
    functions = {
        "min": min,
        "max": max,
        "abs": abs,
        "len": len,
        "floor": math.floor,
        "ceil": math.ceil,
        "lower": str.lower,
        "upper": str.upper,
    }
    if node.func in ("min", "max"):
        return functions[node.func](args)
    return functions[node.func](args[0])


def _time(node: Call, now: Any, args: list[Any]) -> Any:
    if node.func == "today":
        return now.date()
    when = args[0]
    day = when.date() if hasattr(when, "hour") else when
    if node.func == "days_since":
        return (now.date() - day).days
    if node.func == "days_until":
        return (day - now.date()).days
    if node.func == "hours_since":
        return (now - when).total_seconds() / 3600
    return (when - now).total_seconds() / 3600
