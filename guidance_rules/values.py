"""One rule for fact values of the wrong type, shared by every evaluator.

A value that does not fit its fact's declared type is *missing* (so a condition reading it is
unknown) and is counted as a problem, the same way in the interpreter, the compiled matcher and
the batch evaluator. Values that fit are normalised (a money string becomes a Decimal, a Decimal
number becomes a float, an integral float for an integer fact becomes an int). See docs/rules.md,
"Values of the wrong type".
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

WRONG_TYPE = "wrong type"
NOT_FINITE = "not finite"
NOT_LISTED = "not a listed value"
NOT_WHOLE = "not a whole number"
NOT_MONEY = "not an amount"


def money_text(text: str) -> Decimal:
    """Money as integrations write it: `2424.80`, `$2,424.80`; raises ValueError otherwise."""
    try:
        value = Decimal(text.strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def clean(kind: str, values: frozenset[str] | tuple[str, ...], value: Any) -> tuple[Any, str]:
    """(the value as the evaluators use it, "") or (None, why it does not fit). None stays None."""
    if value is None:
        return None, ""
    return _CLEAN[kind](value, values)


def _number(value: Any, values: Any) -> tuple[Any, str]:
    cls = value.__class__
    if cls is int:
        return value, ""
    if isinstance(value, bool):
        return None, WRONG_TYPE
    if isinstance(value, float | Decimal | numbers.Real):
        if isinstance(value, numbers.Integral):
            return int(value), ""
        number = float(value)
        return (number, "") if math.isfinite(number) else (None, NOT_FINITE)
    return None, WRONG_TYPE


def _integer(value: Any, values: Any) -> tuple[Any, str]:
    if value.__class__ is int:
        return value, ""
    if isinstance(value, bool):
        return None, WRONG_TYPE
    if isinstance(value, numbers.Integral):
        return int(value), ""
    if isinstance(value, float | Decimal | numbers.Real):
        if isinstance(value, float) and not math.isfinite(value):
            return None, NOT_FINITE
        if isinstance(value, Decimal) and not value.is_finite():
            return None, NOT_FINITE
        whole = int(value)
        return (whole, "") if whole == value else (None, NOT_WHOLE)
    return None, WRONG_TYPE


def _money(value: Any, values: Any) -> tuple[Any, str]:
    cls = value.__class__
    if cls is float:
        return (value, "") if math.isfinite(value) else (None, NOT_FINITE)
    if cls is int or cls is Decimal:
        if cls is Decimal and not value.is_finite():
            return None, NOT_FINITE
        return value, ""
    if isinstance(value, bool):
        return None, WRONG_TYPE
    if isinstance(value, str):
        try:
            return money_text(value), ""
        except ValueError:
            return None, NOT_MONEY
    if isinstance(value, numbers.Integral):
        return int(value), ""
    if isinstance(value, Decimal):
        return _money(Decimal(value), values)
    if isinstance(value, float):
        return _money(float(value), values)
    return None, WRONG_TYPE


def _string(value: Any, values: Any) -> tuple[Any, str]:
    if isinstance(value, str):
        return str.__str__(value), ""
    return None, WRONG_TYPE


def _enum(value: Any, values: Any) -> tuple[Any, str]:
    if not isinstance(value, str):
        return None, WRONG_TYPE
    text = str.__str__(value)
    return (text, "") if text in values else (None, NOT_LISTED)


def _boolean(value: Any, values: Any) -> tuple[Any, str]:
    return (value, "") if value is True or value is False else (None, WRONG_TYPE)


def _date(value: Any, values: Any) -> tuple[Any, str]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value, ""
    return None, WRONG_TYPE


def _instance(cls: type) -> Callable[[Any, Any], tuple[Any, str]]:
    def check(value: Any, values: Any) -> tuple[Any, str]:
        return (value, "") if isinstance(value, cls) else (None, WRONG_TYPE)

    return check


def _list(value: Any, values: Any) -> tuple[Any, str]:
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return value, ""
    return None, WRONG_TYPE


_CLEAN: dict[str, Callable[[Any, Any], tuple[Any, str]]] = {
    "number": _number,
    "percent": _number,
    "integer": _integer,
    "money": _money,
    "string": _string,
    "enum": _enum,
    "boolean": _boolean,
    "date": _date,
    "datetime": _instance(dt.datetime),
    "duration": _instance(dt.timedelta),
    "list": _list,
}


class FactProblems:
    """A running count of fact values that did not fit their type, by (fact, reason).

    Every pack has one (`pack.fact_problems`); the evaluators add to it, so an integration that
    sends bad facts shows up in the counts instead of silently never matching.
    """

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, name: str, reason: str, count: int = 1) -> None:
        with self._lock:
            self._counts[(name, reason)] += count

    def counts(self) -> dict[tuple[str, str], int]:
        """A snapshot: {(fact name, reason): how many values}."""
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def __repr__(self) -> str:
        return f"FactProblems({self.counts()!r})"


def cleaner(
    kind: str, values: tuple[str, ...], name: str, problems: FactProblems | None
) -> Callable[[Any], Any]:
    """The slow path of one fact's check: clean the value and count a problem when it does not
    fit. The compiled matcher calls it only when its inline fast test fails."""
    allowed = frozenset(values)
    check = _CLEAN[kind]
    add = problems.add if problems is not None else None

    def fix(value: Any) -> Any:
        if value is None:
            return None
        result, why = check(value, allowed)
        if why and add is not None:
            add(name, why)
        return result

    return fix


def money_reader(fix: Callable[[Any], Any]) -> Callable[[str], Any]:
    """Money text read straight as a Decimal (`"2424.80"`); anything else (`"$2,424.80"`, bad
    text, NaN) goes to `fix`, which reads it as `money_text` does or counts it."""

    def read(text: str) -> Any:
        try:
            value = Decimal(text)
        except InvalidOperation:
            return fix(text)
        return value if value.is_finite() else fix(text)

    return read
